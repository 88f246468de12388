"""Issue 15, journey 2: every page of the app fits a 390 px phone, signed in or not.

The pages are not listed by hand: every GET route of the app's url_map is visited, with real
ids from the test data, as staff, an organizer, a focal point and an anonymous visitor. A page
whose document is wider than the phone (document.documentElement.scrollWidth > 390) fails the
test; tables scroll inside their own box and long selects become searchable fields instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import current_app
from playwright.sync_api import Error as PlaywrightError

from lanet.agenda.models import AgendaItem
from lanet.extensions import db as _db
from lanet.network.models import Institution
from lanet.registration.models import Invitation
from tests.e2e.browser import sign_in

PHONE = {"width": 390, "height": 844}
# The outermost elements reaching past the phone's right edge, to say what to fix.
OFFENDERS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("body, body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > 391 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > 391)) {
      found.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "") + ":" + Math.round(box.right));
    }
  }
  return found.slice(0, 4).join(", ");
}"""
# Not pages: files, feeds, images, JSON, the API, and signing out (it would end the session).
NOT_PAGES = re.compile(
    r"^/(api|static)/|\.(ics|pdf|png|json|atom|csv|xlsx|<fmt>)$|<any\(|/healthz$|/logout$"
    r"|/progress|/images/|/email\.html$|^/dev/mail/<"
)


def _values(world, invitation: Invitation, item: AgendaItem, staff) -> dict[str, object]:
    ana = world.registrations[("ana", "e1")]
    return {
        "slug": world.e1.slug,
        "item_id": item.id,
        "year": 2014,
        "user_id": staff.id,
        "person_id": world.people["ana"].id,
        "cycle_id": world.cycle.id,
        "language": "es",
        "code": "NOT-A-CODE",
        "bulletin_id": 1,
        "template_id": 1,
        "certificate_id": 1,
        # By the rule: a registration's private link, an invitation, or a made-up token.
        "token": {
            "/r/": ana.manage_token,
            "/invitations/": invitation.token,
        },
    }


def _pages(values: dict[str, object]) -> list[str]:
    pages = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or NOT_PAGES.search(rule.rule):
            continue
        url = rule.rule
        for argument in rule.arguments:
            value = values.get(argument, "x")
            if isinstance(value, dict):
                value = next((v for prefix, v in value.items() if url.startswith(prefix)), "x")
            url = re.sub(rf"<(?:[^:<>]+:)?{argument}>", str(value), url)
        pages.append(url)
    return pages


def test_every_page_fits_a_390px_phone(world, make_user, live_server, browser, artifacts):
    starts = datetime(2014, 6, 2, 12, tzinfo=UTC)
    item = AgendaItem(
        event_id=world.e1.id,
        kind="session",
        title="Prevención de atrocidades masivas: mecanismos nacionales y regionales",
        starts_at=starts,
        ends_at=starts.replace(hour=14),
    )
    invitation = Invitation(event_id=world.e1.id, email="invitada@example.org", language="es")
    # The long institution list that made the private link 917 px wide.
    long_names = [
        Institution(
            name=f"Ministerio de Relaciones Exteriores, Comercio Internacional y Culto — "
            f"Dirección General de Derechos Humanos, oficina {n}",
            country_code="AR",
            kind="ministry_foreign_affairs",
        )
        for n in range(25)
    ]
    _db.session.add_all([item, invitation, *long_names])
    _db.session.commit()
    staff = make_user("staff")
    roles = {
        "anonymous": None,
        "staff": staff,
        "organizer": make_user("organizer", event=world.e1),
        "focal_point": make_user("focal_point", country="AR"),
    }
    pages = _pages(_values(world, invitation, item, staff))
    assert len(pages) > 40, pages
    too_wide: list[str] = []
    visited = 0
    for role, user in roles.items():
        # Not is_mobile: a phone would zoom out to show a too wide page; at a fixed 390 px the
        # overflow is measured exactly and the elements that cause it can be named.
        context = browser.new_context(viewport=PHONE, has_touch=True)
        page = context.new_page()
        try:
            if user is not None:
                sign_in(page, live_server, user.email, lang="es")
            for path in pages:
                try:
                    response = page.goto(f"{live_server}{path}")
                except PlaywrightError as error:  # a download (a person's data export)
                    assert "Download is starting" in str(error), error
                    continue
                if response is None or "text/html" not in response.headers.get("content-type", ""):
                    continue
                visited += 1
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    name = re.sub(r"[^a-z0-9]+", "-", f"{role}{path}".lower()).strip("-")
                    page.screenshot(path=str(artifacts / f"too-wide-{name}.png"), full_page=True)
                    too_wide.append(f"{role} {path}: {width} px ({page.evaluate(OFFENDERS)})")
            if role == "staff":
                page.goto(f"{live_server}/staff/totals?year=2014")
                page.screenshot(path=str(artifacts / "phone-staff-totals-390.png"), full_page=True)
                page.goto(f"{live_server}/manage/events/{world.e1.slug}/registrations")
                page.screenshot(path=str(artifacts / "phone-registrations-390.png"), full_page=True)
            if role == "anonymous":
                page.goto(f"{live_server}/r/{world.registrations[('ana', 'e1')].manage_token}")
                # The long list is a searchable field: typing picks the matching institution.
                search = page.locator(".searchable-select input[type=search]").first
                search.fill("oficina 17")
                chosen = page.locator(".searchable-select select").first
                assert "oficina 17 " in chosen.evaluate("s => s.options[s.selectedIndex].text")
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                page.screenshot(path=str(artifacts / "phone-private-link-390.png"), full_page=True)
        finally:
            context.close()
    assert visited > 4 * 30, visited
    assert not too_wide, "pages wider than 390 px:\n" + "\n".join(too_wide)
