"""The Secretariat finds a person, exports their data and erases it, on a phone-sized screen."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from lanet.network.models import Person
from tests.e2e.browser import sign_in


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_people_export_and_erasure_in_the_browser(db, browser, make_user, live_server, artifacts):
    staff = make_user("staff", email="privacy@e2e.lanet.example")
    person = Person(
        first_name="Itzel",
        last_name="Huanca Mamani",
        email="itzel.huanca@ministerio.example",
        country_code=None,
        position="Coordinadora de Derechos Humanos",
    )
    db.session.add(person)
    db.session.commit()

    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, staff.email)
        page.wait_for_url(f"{live_server}/account")

        page.goto(f"{live_server}/staff/people?q=huanca")
        assert page.locator("td", has_text="Itzel Huanca Mamani").count() == 1
        page.screenshot(path=str(artifacts / "privacy-people-390.png"), full_page=True)
        assert _fits(page), page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
            " > window.innerWidth).map(e => e.tagName + '.' + e.className).slice(0, 8)"
        )

        with page.expect_download() as download:
            page.get_by_role("link", name="Export (JSON)").click()
        data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert data["parts"]["network.person"]["email"] == "itzel.huanca@ministerio.example"

        page.get_by_role("link", name="Erase").click()
        assert page.locator("h1").inner_text() == "Erase a person's data"
        assert _fits(page)
        page.screenshot(path=str(artifacts / "privacy-erase-390.png"), full_page=True)
        page.get_by_role("button", name="Erase").click()
        assert page.locator(".field-error").count() == 1  # the box was not ticked
        page.get_by_label("I understand that the personal data cannot be recovered.").check()
        page.get_by_role("button", name="Erase").click()
        assert "has been erased" in page.locator(".flash").inner_text()
        page.goto(f"{live_server}/staff/people")
        assert page.locator("td", has_text="Erased person").count() == 1
        assert _fits(page)
        page.screenshot(path=str(artifacts / "privacy-erased-390.png"), full_page=True)
    finally:
        context.close()

    db.session.expire_all()
    erased = db.session.scalar(select(Person).where(Person.id == person.id))
    assert erased.erased_at is not None and erased.email is None
