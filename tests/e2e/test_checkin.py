"""Check-in in chromium: a typed code, a second scan, and scans made while the page is offline,
kept in the browser and sent once the connection returns — recorded once."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect
from sqlalchemy import func, select

from lanet.attendance import codes
from lanet.attendance.models import Attendance
from lanet.extensions import db as _db
from tests.e2e.browser import sign_in


def _attendance_of(registration_id: int) -> int:
    _db.session.expire_all()
    return _db.session.scalar(
        select(func.count())
        .select_from(Attendance)
        .where(Attendance.registration_id == registration_id)
    )


def _scan(page, code: str) -> None:
    field = page.locator("#checkin-form input[name=code]")
    field.fill(code)
    field.press("Enter")


def test_check_in_by_typed_code_with_an_offline_queue(
    world, make_user, live_server, page, artifacts
):
    organizer = make_user("organizer", event=world.e1, language="en")
    ana = world.registrations[("ana", "e1")]
    bruno = world.registrations[("bruno", "e1")]
    sign_in(page, live_server, organizer.email)
    page.goto(f"{live_server}/manage/events/{world.e1.slug}/check-in?day=2014-06-02&lang=en")
    result = page.locator("#checkin-result")
    count = page.locator("#checkin-count")

    _scan(page, codes.check_in_code(ana))
    expect(result).to_have_text(re.compile("Ana Pérez is checked in"))
    expect(count).to_have_text("1")
    _scan(page, codes.check_in_code(ana))
    expect(result).to_have_text(re.compile("already checked in"))
    assert _attendance_of(ana.id) == 1

    page.context.set_offline(True)
    _scan(page, codes.check_in_code(bruno))
    expect(result).to_have_text(re.compile("No connection"))
    pending = page.locator("#checkin-pending")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text("1")
    time.sleep(0.5)
    assert _attendance_of(bruno.id) == 0  # nothing reached the server
    page.screenshot(path=str(artifacts / "checkin-offline.png"), full_page=True)

    page.context.set_offline(False)
    expect(pending).to_be_hidden(timeout=15000)
    expect(result).to_have_text(re.compile("Bruno Silva is checked in"))
    expect(count).to_have_text("2")
    assert _attendance_of(bruno.id) == 1
    # Reloading the page sends nothing twice: the queue is empty and the list shows both.
    page.reload()
    expect(page.locator("#checkin-list tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "checkin-online.png"), full_page=True)
    assert _attendance_of(bruno.id) == 1


def test_day_switch_follows_the_agenda_and_the_tally_names_the_day(
    world, make_user, live_server, page, artifacts
):
    """Issue 15, journey 6: the days offered are those with agenda items; switching day
    changes the tally's label and count; the badge shows the typeable code under the QR."""
    from datetime import UTC, datetime

    from lanet.agenda.models import AgendaItem

    world.e1.end_date = world.e1.start_date.replace(day=30)  # a month-long event
    for day in (3, 5):
        starts = datetime(2014, 6, day, 12, tzinfo=UTC)
        _db.session.add(
            AgendaItem(
                event_id=world.e1.id,
                kind="session",
                title=f"Session {day}",
                starts_at=starts,
                ends_at=starts.replace(hour=14),
            )
        )
    _db.session.commit()
    organizer = make_user("organizer", event=world.e1, language="en")
    ana = world.registrations[("ana", "e1")]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, organizer.email)
    page.goto(f"{live_server}/manage/events/{world.e1.slug}/check-in?lang=en")

    options = page.locator("#day-switch option")
    expect(options).to_have_count(2)
    assert options.all_inner_texts() == ["June 3, 2014", "June 5, 2014"]
    tally = page.locator(".checkin-tally")
    expect(tally).to_contain_text("on June 3, 2014")

    page.select_option("#day-switch", "2014-06-05")  # the script shows that day's page
    page.wait_for_url("**day=2014-06-05**")
    expect(tally).to_contain_text("on June 5, 2014")
    expect(page.locator("#checkin-count")).to_have_text("0")
    _scan(page, codes.check_in_code(ana))
    expect(page.locator("#checkin-result")).to_have_text(re.compile("Ana Pérez is checked in"))
    expect(page.locator("#checkin-count")).to_have_text("1")
    _db.session.expire_all()
    assert {a.day.isoformat() for a in _db.session.scalars(select(Attendance))} == {"2014-06-05"}
    page.screenshot(path=str(artifacts / "checkin-day-switch-390.png"), full_page=True)

    page.select_option("#day-switch", "2014-06-03")
    page.wait_for_url("**day=2014-06-03**")
    expect(tally).to_contain_text("on June 3, 2014")
    expect(page.locator("#checkin-count")).to_have_text("0")

    page.goto(f"{live_server}/manage/events/{world.e1.slug}/badges?lang=en")
    badge = page.locator(".name-badge", has_text="Ana Pérez")
    expect(badge.locator(".name-badge-code")).to_contain_text(codes.check_in_code(ana))
    page.screenshot(path=str(artifacts / "badges-with-code-390.png"), full_page=True)
