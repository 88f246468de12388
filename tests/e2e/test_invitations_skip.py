"""Issue 15, journey 3 in chromium: invitations and reminders leave out whoever already
registered, declined or cancelled, and the page says how many and why before anything is
sent; reminders also go on the organizer's schedule (days before registration closes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lanet.extensions import db as _db
from lanet.mail.models import OutboxMessage
from lanet.registration import invitations, service
from lanet.registration.models import Invitation
from tests.e2e.browser import sign_in

PHONE = {"width": 390, "height": 844}


def _applicant(first: str, email: str):
    return service.Applicant(
        first_name=first,
        last_name="Testa",
        email=email,
        country_code="AR",
        language="es",
        new_institution_name="Cancillería",
        consent=True,
    )


def _reminders_to() -> set[str]:
    _db.session.expire_all()
    return set(
        _db.session.scalars(
            select(OutboxMessage.recipient_email).where(
                OutboxMessage.template == "invitation_reminder"
            )
        )
    )


def test_reminders_skip_the_registered_and_say_so_before_sending(
    db, make_event, make_user, live_server, browser, artifacts
):
    event = make_event(capacity=20, slug="lemkin-invite-skip")
    emails = ["silent@example.org", "confirmed@example.org", "gone@example.org"]
    invitations.invite(event.id, [invitations.Invitee(e, "es") for e in emails], None)
    # Confirmed through the public form (not the invitation link), the other cancelled.
    service.register(event.id, _applicant("Confirmada", "confirmed@example.org"))
    gone = service.register(event.id, _applicant("Cancelada", "gone@example.org"))
    service.cancel_registration(gone.manage_token)
    organizer = make_user("organizer", event=event, language="en")
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, organizer.email)
        page.goto(f"{live_server}/manage/events/{event.slug}/invitations?lang=en")
        plan = page.locator("[data-plan=remind]").inner_text()
        assert "Will reach 1." in plan
        assert "Skips 1: already registered." in plan
        assert "Skips 1: cancelled their registration." in plan
        page.screenshot(path=str(artifacts / "invitations-plan-390.png"), full_page=True)
        assert _reminders_to() == set()  # nothing sent by looking

        page.get_by_role("button", name="Remind those who have not answered").click()
        flash = page.locator(".flash-success").inner_text()
        assert "1 reminders sent." in flash and "1 already registered" in flash
        assert _reminders_to() == {"silent@example.org"}

        # Typed addresses: the registered one is skipped, with the reason.
        page.fill("textarea[name='typed-emails']", "confirmed@example.org\nnew@example.org")
        page.locator("form:has(textarea[name='typed-emails']) button[type=submit]").click()
        assert (
            "1 invited; skipped: 1 already registered."
            in page.locator(".flash-success").inner_text()
        )

        # The schedule: 7 and 2 days before registration closes.
        page.fill("input[name=reminder_days]", "2, 7")
        page.get_by_role("button", name="Save the reminder schedule").click()
        assert "7, 2 days before registration closes" in page.locator(".flash-success").inner_text()
    finally:
        context.close()

    _db.session.expire_all()
    closes = datetime.now(UTC) + timedelta(days=10)
    event = _db.session.merge(event)
    event.registration_closes_at = closes
    for invitation in _db.session.scalars(select(Invitation)):
        invitation.reminded_at = None
        invitation.sent_at = closes - timedelta(days=20)
    _db.session.commit()
    # Beat's task, in-process: nothing is due 10 days before closing; 7 days before, the
    # silent are reminded once (again an hour later: nothing); the registered never.
    assert invitations.send_scheduled_reminders(closes - timedelta(days=10)) == {}
    assert invitations.send_scheduled_reminders(closes - timedelta(days=7)) == {event.id: 2}
    assert (
        invitations.send_scheduled_reminders(closes - timedelta(days=7) + timedelta(hours=1)) == {}
    )
    assert invitations.send_scheduled_reminders(closes - timedelta(days=2)) == {event.id: 2}
    reminded = set(
        _db.session.scalars(select(Invitation.email).where(Invitation.reminded_at.is_not(None)))
    )
    assert reminded == {"silent@example.org", "new@example.org"}
