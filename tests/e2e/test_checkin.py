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
from tests.fixtures.accounts import TEST_PASSWORD


def _attendance_of(registration_id: int) -> int:
    _db.session.expire_all()
    return _db.session.scalar(
        select(func.count())
        .select_from(Attendance)
        .where(Attendance.registration_id == registration_id)
    )


def _sign_in(page, live_server: str, user) -> None:
    page.goto(f"{live_server}/login?lang=en")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


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
    _sign_in(page, live_server, organizer)
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
