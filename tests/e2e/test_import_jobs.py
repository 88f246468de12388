"""Issue 14, item 5 in chromium at 390 px: an invitation CSV is queued, the browser lands on
the progress page at once, and the page follows the worker by itself (rows processed, sent,
failed) until it says finished, with the row that failed and why."""

from __future__ import annotations

from sqlalchemy import func, select

from lanet.extensions import db as _db
from lanet.registration import notifications
from lanet.registration.models import Invitation
from tests.e2e.browser import sign_in
from tests.fixtures.registration import run_import_jobs

PHONE = {"width": 390, "height": 844}


def _invitations() -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(Invitation))


def test_the_progress_page_follows_the_worker_on_a_phone(
    db, make_event, make_user, live_server, browser, artifacts, monkeypatch
):
    event = make_event(capacity=None, slug="lemkin-bulk-invitations")
    organizer = make_user("organizer", event=event, language="en")
    body = "email,language\n" + "".join(
        f"invitee.with.a.rather.long.address.{n}@ministerio-de-relaciones-exteriores.example.org,es\n"
        for n in range(120)
    )
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, organizer.email)
        page.goto(f"{live_server}/manage/events/{event.slug}/invitations?lang=en")
        page.set_input_files(
            "input[name='csv-file']",
            files=[{"name": "invitees.csv", "mimeType": "text/csv", "buffer": body.encode()}],
        )
        page.get_by_role("button", name="Import and invite").click()
        page.wait_for_url("**/imports/*")
        box = page.locator("#import-progress")
        assert box.get_attribute("data-status") == "queued"
        assert "120 addresses are queued" in page.locator(".flash-success").inner_text()
        assert page.locator("[data-count=total]").inner_text() == "120"
        assert page.locator("[data-count=processed]").inner_text() == "0"
        assert _invitations() == 0  # the request sent nothing itself
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifacts / "import-job-queued-390.png"), full_page=True)

        # The worker (run here, in-process, against the same database); one row fails.
        real = notifications.send_invitation

        def refuse_one(invitation, *args, **kwargs):
            if invitation.email.startswith("invitee.with.a.rather.long.address.7@"):
                raise ValueError("mailbox unavailable")
            return real(invitation, *args, **kwargs)

        monkeypatch.setattr(notifications, "send_invitation", refuse_one)
        run_import_jobs(size=50)
        # The page polls and reloads itself once the job is done: nobody presses anything.
        page.wait_for_selector("#import-progress[data-status=done]", timeout=20_000)
        page.wait_for_selector("table.import-failures", timeout=20_000)
        assert page.locator("[data-count=processed]").inner_text() == "120"
        assert page.locator("[data-count=sent]").inner_text() == "119"
        assert page.locator("[data-count=failed]").inner_text() == "1"
        row = page.locator("table.import-failures tbody tr").first
        assert row.get_attribute("data-row") == "9"  # line 9 of the file (header is line 1)
        assert "mailbox unavailable" in row.inner_text()
        assert "Finished." in page.locator("#import-state").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifacts / "import-job-done-390.png"), full_page=True)
    finally:
        context.close()
    assert _invitations() == 119
