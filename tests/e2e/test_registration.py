"""On a phone: register, get the confirmation by SMTP, cancel through the private link, and
the next on the waiting list is offered the seat — with a real gunicorn and Celery worker."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lanet.network.models import Person
from lanet.registration import service
from lanet.registration.models import Registration
from tests.e2e.browser import sign_in
from tests.fixtures.mail import sink_env
from tests.processes import start_worker

# A real Celery worker delivers the mail and promotes the waiting list.
pytestmark = [pytest.mark.slow, pytest.mark.services]

PHONE = {"width": 390, "height": 844}


def _registration(db, email: str) -> Registration:
    db.session.expire_all()
    return db.session.scalar(select(Registration).join(Person).where(Person.email == email))


def _to(messages, address: str, subject_part: str):
    for message in messages:
        if message["To"].addresses[0].addr_spec == address and subject_part in message["Subject"]:
            return message
    return None


def _wait_for_mail(sink, address: str, subject_part: str, timeout: float = 60.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _to(sink.messages, address, subject_part)
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no '{subject_part}' message to {address}: {sink.messages}")


def test_phone_registration_cancel_and_promotion(
    db, make_event, live_server, browser, smtp_sink, service_env, artifacts, tmp_path
):
    event = make_event(capacity=1, slug="lemkin-phone")
    worker = start_worker(
        sink_env(service_env, smtp_sink), tmp_path / "worker.log", queues="celery,mail"
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/events/{event.slug}/register?lang=es")
        assert page.locator("h1").inner_text() == "Inscribirse"
        page.locator("#first_name").fill("Lucía")
        page.locator("#last_name").fill("Fernández")
        page.locator("#email").fill("lucia@cancilleria.example.org")
        page.locator("#country").select_option("AR")
        page.locator("#new_institution_name").fill("Cancillería Argentina")
        page.locator("#position").fill("Consejera")
        # Submitting without consent: a clear error, nothing saved.
        page.get_by_role("button", name="Inscribirse").click()
        assert "consentimiento" in page.locator(".field-error").first.inner_text()
        assert _registration(db, "lucia@cancilleria.example.org") is None
        page.locator("#consent").check()
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "registration-phone-form.png"), full_page=True)
        assert fits, "the form scrolls sideways on a phone"
        page.get_by_role("button", name="Inscribirse").click()
        # The private link goes to the inbox only (issue 14 item 1): the page says so.
        page.wait_for_url(re.compile(r".*/register/sent$"))
        assert page.locator("h1").inner_text() == "Revise su correo"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "registration-phone-check-inbox.png"), full_page=True)

        # Someone else registers now: the event is full, so they wait.
        waiting = service.register(
            event.id,
            service.Applicant(
                first_name="Pedro",
                last_name="Souza",
                email="pedro@itamaraty.example.org",
                country_code="BR",
                language="pt",
                new_institution_name="Itamaraty",
                consent=True,
            ),
        )
        assert waiting.status == "waitlisted"

        confirmation = _wait_for_mail(smtp_sink, "lucia@cancilleria.example.org", "confirmada")
        calendar_parts = [
            part for part in confirmation.walk() if part.get_content_type() == "text/calendar"
        ]
        assert calendar_parts and "METHOD:REQUEST" in calendar_parts[0].get_content()
        text = confirmation.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"https?://\S+/r/[A-Za-z0-9_-]+", text).group(0)

        page.goto(f"{live_server}{urlsplit(link).path}")
        assert page.locator("[data-status]").get_attribute("data-status") == "confirmed"
        page.screenshot(path=str(artifacts / "registration-phone-confirmed.png"), full_page=True)
        page.get_by_role("link", name="Cancelar mi inscripción").click()
        page.get_by_role("button", name="Sí, cancelar mi inscripción").click()
        page.wait_for_selector("[data-status=cancelled]")
        page.screenshot(path=str(artifacts / "registration-phone-cancelled.png"), full_page=True)
        assert _registration(db, "lucia@cancilleria.example.org").status == "cancelled"

        # The worker offers the freed seat to Pedro and writes to him in Portuguese.
        offer = _wait_for_mail(smtp_sink, "pedro@itamaraty.example.org", "vaga")
        assert offer["Content-Language"] == "pt"
        promoted = _registration(db, "pedro@itamaraty.example.org")
        assert promoted.status == "waitlisted" and promoted.offer_expires_at is not None
        offer_text = offer.get_body(preferencelist=("plain",)).get_content()
        offer_link = re.search(r"https?://\S+/r/[A-Za-z0-9_-]+", offer_text).group(0)
        page.goto(f"{live_server}{urlsplit(offer_link).path}?lang=pt")
        page.get_by_role("button", name="Confirmar minha vaga").click()
        page.wait_for_selector("[data-status=confirmed]")
        page.screenshot(path=str(artifacts / "registration-phone-promoted.png"), full_page=True)
        assert _registration(db, "pedro@itamaraty.example.org").status == "confirmed"
    finally:
        context.close()
        worker.stop()


def test_organizer_approves_in_bulk_and_exports(
    db, make_event, make_user, live_server, page, artifacts
):

    event = make_event(capacity=2, quotas={"AR": 1}, requires_approval=True, slug="lemkin-approval")
    for number, country in enumerate(["AR", "AR", "BR"]):
        service.register(
            event.id,
            service.Applicant(
                first_name="Persona",
                last_name=f"Número {number}",
                email=f"persona{number}@example.org",
                country_code=country,
                new_institution_name="Ministerio de Defensa",
                consent=True,
            ),
        )
    organizer = make_user("organizer", event=event, email="organizer@e2e.lanet.example")
    sign_in(page, live_server, organizer.email)
    page.goto(f"{live_server}/manage/events/{event.slug}/registrations?lang=en")
    for checkbox in page.locator("input[name=registration]").all():
        checkbox.check()
    page.get_by_role("button", name="Approve or give a seat to the selected").click()
    assert "2 confirmed, 1 on the waiting list." in page.locator(".flash").inner_text()
    statuses = page.locator("tr[data-registration] .status").all_inner_texts()
    assert sorted(statuses) == ["Confirmed", "Confirmed", "Waiting list"]
    page.screenshot(path=str(artifacts / "registration-organizer.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == f"{event.slug}-registrations.xlsx"
