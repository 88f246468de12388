"""Issue 15, journey 1: an organizer opens an agenda item's edit form, reads the speakers it
shows, saves it unchanged, and the public agenda and the people list still hold the same
speakers (no `[<AgendaSpeaker 3>]` person is born)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from lanet.agenda.models import AgendaItem
from lanet.extensions import db as _db
from lanet.network.models import Person
from tests.e2e.browser import sign_in
from tests.fixtures.accounts import create_user
from tests.fixtures.agenda import create_event


def _people() -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(Person))


def test_edit_form_shows_the_speakers_and_keeps_them(db, live_server, browser, artifacts):
    event = create_event(start=date(2026, 10, 23), days=5)
    organizer = create_user("organizer", event=event, language="en")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, live_server, organizer.email)

        page.goto(f"{live_server}/manage/events/{event.slug}/agenda?lang=en")
        page.fill("#day", "2026-10-24")
        page.fill("#start", "09:00")
        page.fill("#end", "10:00")
        page.fill("#title", "Opening ceremony")
        page.fill("#speakers", "Tibi Galis (AIPR)\nAna María López Pérez")
        page.click("button[name=add]")
        assert page.locator(".flash-success").inner_text() == "Item added to the draft."
        people = _people()

        item_id = _db.session.scalar(select(AgendaItem.id).where(AgendaItem.event_id == event.id))
        page.goto(f"{live_server}/manage/events/{event.slug}/agenda/items/{item_id}?lang=en")
        shown = page.locator("#speakers").input_value()
        assert shown == "Tibi Galis (AIPR)\nAna María López Pérez"
        assert "AgendaSpeaker" not in page.content()
        assert page.locator("#title").input_value() == "Opening ceremony"
        page.screenshot(path=str(artifacts / "agenda-edit-speakers-390.png"), full_page=True)

        # Saved unchanged: the same two speakers, nobody new in the people list.
        page.fill("#room", "Hall A")
        page.locator("form.form-grid button[type=submit]").click()
        assert page.locator(".flash-success").inner_text() == "Item saved in the draft."
        assert _people() == people
        page.click("button[name=publish]")

        page.goto(f"{live_server}/events/{event.slug}/agenda?lang=en")
        row = page.locator("tr.agenda-item").first.inner_text()
        assert "Tibi Galis" in row and "AIPR" in row and "Ana María López Pérez" in row
        assert "AgendaSpeaker" not in page.content()

        page.goto(f"{live_server}/manage/events/{event.slug}/agenda/items/{item_id}?lang=en")
        assert page.locator("#speakers").input_value() == "Tibi Galis (AIPR)\nAna María López Pérez"
    finally:
        context.close()
