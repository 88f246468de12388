"""An organizer edits and publishes an agenda in chromium; the public page shows it in two
languages, with the visitor's own time zone beside the event's."""

from __future__ import annotations

from datetime import date

from tests.e2e.browser import sign_in
from tests.fixtures.accounts import create_user
from tests.fixtures.agenda import create_event


def test_organizer_edits_and_publishes_the_agenda(db, live_server, browser, artifacts):
    event = create_event(timezone="Europe/Warsaw", start=date(2026, 10, 23), days=5)
    organizer = create_user("organizer", event=event, language="en")
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="America/Santiago", locale="en-US"
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, organizer.email)

        page.goto(f"{live_server}/manage/events/{event.slug}/agenda?lang=en")
        assert page.locator("h1").inner_text().startswith("Agenda editor")
        page.select_option("#kind", "ceremony")
        page.fill("#day", "2026-10-24")
        page.fill("#start", "09:00")
        page.fill("#end", "10:00")
        page.fill("#title", "Opening ceremony")
        page.fill("#room", "Hall A")
        page.fill("#speakers", "Tibi Galis (AIPR)")
        page.click("button[name=add]")
        assert page.locator(".flash-success").inner_text() == "Item added to the draft."

        # A clash in the same room is refused on the page, with the form kept.
        page.fill("#day", "2026-10-24")
        page.fill("#start", "09:30")
        page.fill("#end", "10:30")
        page.fill("#title", "Clashing session")
        page.fill("#room", "Hall A")
        page.click("button[name=add]")
        assert "already booked" in page.locator("#room-error").inner_text()
        assert page.locator("#title").input_value() == "Clashing session"

        page.fill("#room", "Hall B")
        page.fill("#day", "2026-10-26")
        page.click("button[name=add]")
        assert page.locator(".agenda-pending li").count() == 2
        page.screenshot(path=str(artifacts / "agenda-editor.png"), full_page=True)
        page.click("button[name=publish]")
        assert (
            "Version 1 of the agenda is published." in page.locator(".flash-success").inner_text()
        )

        # The public page: agenda-tz.js adds the visitor's zone (Santiago) beside Warsaw's.
        page.goto(f"{live_server}/events/{event.slug}/agenda?lang=en")
        page.wait_for_url("**tz=America%2FSantiago**")
        assert page.locator("h2").first.inner_text() == "Saturday, October 24, 2026"
        rows = page.locator("tr.agenda-item")
        assert rows.count() == 2
        assert "09:00–10:00" in rows.nth(0).inner_text()
        assert "04:00–05:00" in rows.nth(0).locator(".viewer-time").inner_text()
        # Monday is after Poland's change to winter time: 09:30 in Warsaw is 05:30 in Santiago.
        assert "05:30–06:30" in rows.nth(1).locator(".viewer-time").inner_text()
        page.screenshot(path=str(artifacts / "agenda-public-en.png"), full_page=True)

        page.goto(f"{live_server}/events/{event.slug}/agenda?lang=es&tz=America/Santiago")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.locator("h2").first.inner_text().lower() == "sábado, 24 de octubre de 2026"
        assert page.get_by_text("Ceremonia").first.is_visible()
        assert page.get_by_text("Su hora (America/Santiago)").first.is_visible()
        page.screenshot(path=str(artifacts / "agenda-public-es.png"), full_page=True)
    finally:
        context.close()
