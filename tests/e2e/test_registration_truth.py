"""Issue 15, journeys 4 and 10 in chromium on a phone: when Argentina's reserved seats are
taken the registrant is told so, in Spanish, with their place on the waiting list (page, private
link, email), while the event page shows the seats left for each country; cancelling from the
private link asks first, and the email goes out in the registrant's own language."""

from __future__ import annotations

import re

from sqlalchemy import select

from lanet.extensions import db as _db
from lanet.mail.compose import build
from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from lanet.registration import service
from lanet.registration.models import Registration
from tests.e2e.browser import sign_in

PHONE = {"width": 390, "height": 844}


def _applicant(first: str, email: str, country: str = "AR", language: str = "es"):
    return service.Applicant(
        first_name=first,
        last_name="Testa",
        email=email,
        country_code=country,
        language=language,
        new_institution_name="Cancillería",
        consent=True,
    )


def _registration(email: str) -> Registration:
    _db.session.expire_all()
    return _db.session.scalar(select(Registration).join(Person).where(Person.email == email))


def test_quota_full_message_and_waiting_list_position(
    db, make_event, live_server, browser, artifacts
):
    event = make_event(capacity=40, quotas={"AR": 1}, slug="lemkin-quota")
    assert service.register(event.id, _applicant("Primera", "primera@example.org")).status == (
        "confirmed"
    )
    assert service.register(event.id, _applicant("Segunda", "segunda@example.org")).status == (
        "waitlisted"
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/{event.slug}?lang=es")
        table = page.locator("table.availability")
        assert table.locator("tr[data-country=AR]").inner_text().split() == [
            "Argentina",
            "1",
            "1",
            "0",
        ]
        assert "Otros países" in table.locator("tr[data-country='']").inner_text()
        assert table.locator("tr[data-country='']").inner_text().split()[-3:] == ["39", "0", "39"]
        page.screenshot(path=str(artifacts / "event-seats-by-country-390.png"), full_page=True)

        page.goto(f"{live_server}/events/{event.slug}/register?lang=es")
        page.locator("#first_name").fill("Tercera")
        page.locator("#last_name").fill("Testa")
        page.locator("#email").fill("tercera@example.org")
        page.locator("#country").select_option("AR")
        page.locator("#new_institution_name").fill("Cancillería")
        page.locator("#consent").check()
        page.get_by_role("button", name="Inscribirse").click()
        # The private link goes to the inbox only (issue 14): opened from the email.
        page.wait_for_url(re.compile(r".*/register/sent$"))
        page.goto(f"{live_server}/r/{_registration('tercera@example.org').manage_token}?lang=es")
        said = page.locator(".waiting-position").inner_text()
        assert said == (
            "Los asientos reservados para Argentina están ocupados; usted es el número 2 en la"
            " lista de espera para ellos."
        )
        assert "evento está completo" not in page.content()
        page.screenshot(path=str(artifacts / "registration-quota-waiting-390.png"), full_page=True)

        # Opened again later, it still says where they stand.
        page.reload()
        assert page.locator(".waiting-position").get_attribute("data-position") == "2"

        waiting = _registration("tercera@example.org")
        message = _db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.recipient_email == "tercera@example.org",
                OutboxMessage.template == "registration_waitlisted",
            )
        )
        assert message.context["wait_reason"] == "quota_full"
        assert message.context["wait_position"] == 2
        text = build(message, "lanet@example.org").get_body(("plain",)).get_content()
        assert "Los asientos reservados para Argentina están ocupados" in text
        assert waiting.status == "waitlisted"
    finally:
        context.close()


def test_organizer_promotes_from_the_waiting_list_or_is_told_why_not(
    db, make_event, make_user, live_server, browser, artifacts
):

    event = make_event(capacity=2, quotas={"AR": 1}, slug="lemkin-promote")
    people = [("Alba", "AR"), ("Beatriz", "AR"), ("Carlos", "BR"), ("Dora", "BR")]
    for first, country in people:
        service.register(event.id, _applicant(first, f"{first.lower()}@example.org", country))
    assert [_registration(f"{p.lower()}@example.org").status for p, _c in people] == [
        "confirmed",
        "waitlisted",
        "confirmed",
        "waitlisted",
    ]
    event.capacity = 3  # one more seat, open to every country but Argentina (quota full)
    _db.session.commit()
    organizer = make_user("organizer", event=event, language="en")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, organizer.email)

        base = f"{live_server}/manage/events/{event.slug}/registrations?lang=en"
        page.goto(f"{base}&q=dora+example")
        assert page.locator("tr[data-registration]").count() == 1
        page.goto(f"{base}&status=waitlisted")
        rows = page.locator("tr[data-registration]")
        assert rows.count() == 2
        page.goto(f"{base}&status=waitlisted&country=AR")
        assert page.locator("tr[data-registration]").count() == 1

        page.goto(f"{base}&status=waitlisted")
        for checkbox in page.locator("input[name=registration]").all():
            checkbox.check()
        page.get_by_role("button", name="Approve or give a seat to the selected").click()
        flashes = page.locator(".flash").all_inner_texts()
        assert "1 confirmed, 1 on the waiting list." in flashes
        assert (
            "Beatriz Testa stays on the waiting list: the seats reserved for Argentina are taken."
            in flashes
        )
        page.screenshot(path=str(artifacts / "registration-promote-390.png"), full_page=True)
        assert _registration("dora@example.org").status == "confirmed"
        assert _registration("beatriz@example.org").status == "waitlisted"
        _db.session.expire_all()
        assert _db.session.get(type(event), event.id).seats_confirmed == 3
    finally:
        context.close()


def test_cancel_asks_first_without_javascript_and_mails_in_the_registrants_language(
    db, make_event, live_server, browser, artifacts
):
    """Issue 15, journey 10: the private link's cancel asks first (JavaScript off), and the
    email goes out in the registrant's language (pt) though the page was read in Spanish."""
    event = make_event(capacity=5, slug="lemkin-cancel-ask")
    registration = service.register(
        event.id, _applicant("Paula", "paula@example.org", "BR", language="pt")
    )
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/r/{registration.manage_token}?lang=es")
        page.get_by_role("link", name="Cancelar mi inscripción").click()
        assert page.locator("h1").inner_text() == "¿Cancelar su inscripción?"
        assert _registration("paula@example.org").status == "confirmed"  # nothing yet
        page.screenshot(path=str(artifacts / "registration-cancel-ask-390.png"), full_page=True)
        page.get_by_role("link", name="No, mantener mi inscripción").click()
        assert _registration("paula@example.org").status == "confirmed"

        page.get_by_role("link", name="Cancelar mi inscripción").click()
        page.get_by_role("button", name="Sí, cancelar mi inscripción").click()
        assert page.locator("[data-status]").get_attribute("data-status") == "cancelled"
        assert _registration("paula@example.org").status == "cancelled"
        message = _db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.recipient_email == "paula@example.org",
                OutboxMessage.template == "registration_cancelled",
            )
        )
        assert message.language == "pt"
        email = build(message, "lanet@example.org")
        assert email["Content-Language"] == "pt"
        assert "inscrição" in email["Subject"].lower() or "inscrição" in (
            email.get_body(("plain",)).get_content().lower()
        )
        assert "inscripción" not in email.get_body(("plain",)).get_content().lower()
    finally:
        context.close()
