"""The Secretariat's outbox page in chromium: filters, the last error, and a resend."""

from __future__ import annotations

from sqlalchemy import select

from lanet.mail import service
from lanet.mail.models import OutboxMessage
from tests.e2e.browser import sign_in
from tests.fixtures.agenda import create_event


def test_staff_filter_the_outbox_and_send_a_failed_message_again(
    db, make_user, live_server, page, artifacts, mail_to_sink
):
    seminar = create_event(title="Raphael Lemkin Seminar, Part I")
    mail_to_sink.reply_to("old.address@mre.gob.ar", "550 5.1.1 <old.address@mre.gob.ar>: unknown")
    for to, name in [
        ("old.address@mre.gob.ar", "Lucía Fernández"),
        ("ana@mindef.gob.br", "Ana Souza"),
        ("rui@defensoria.gob.pe", "Rui Quispe"),
    ]:
        service.queue_message(
            to=to, name=name, template="test_message", language="es", event_id=seminar.id
        )
    db.session.commit()
    service.deliver_due()
    service.queue_message(to="pending@example.org", template="test_message", language="pt")
    db.session.commit()
    staff = make_user("staff", email="outbox@e2e.lanet.example")

    sign_in(page, live_server, staff.email)
    page.locator("nav.main-nav").get_by_role("link", name="Outbox").click()
    page.wait_for_url(f"{live_server}/staff/outbox")
    assert page.locator("h1").inner_text().startswith("Outbox")
    assert page.locator("table.outbox tbody tr").count() == 4
    assert "unknown" in page.locator(".outbox-error").inner_text()
    page.screenshot(path=str(artifacts / "mail-outbox.png"), full_page=True)

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    # Counting right after the click may count the page being left: wait for the new one.
    page.wait_for_url("**/staff/outbox?status=failed*")
    assert page.locator("table.outbox tbody tr").count() == 1
    page.get_by_label("Recipient").fill("gob.br")
    page.get_by_label("Status").select_option("")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**recipient=gob.br*")
    assert page.locator("table.outbox tbody tr").count() == 1
    assert "ana@mindef.gob.br" in page.locator("table.outbox").inner_text()

    page.goto(f"{live_server}/staff/outbox?status=failed")
    page.get_by_role("button", name="Send again").click()
    assert page.locator(".flash").inner_text() == "The message will be sent again."
    assert page.locator("table.outbox tbody tr td.empty").count() == 1
    page.screenshot(path=str(artifacts / "mail-outbox-resent.png"), full_page=True)
    db.session.expire_all()
    statuses = {m.recipient_email: m.status for m in db.session.scalars(select(OutboxMessage))}
    assert statuses["old.address@mre.gob.ar"] == "pending"


def test_the_email_layout_in_the_development_mail_folder(db, live_server, page, artifacts):
    service.queue_message(
        to="lucia@mre.gob.ar",
        name="Lucía Fernández",
        template="test_message",
        language="es",
        context={"note": "Seminario Raphael Lemkin, Parte I: Oświęcim, 23 de octubre."},
    )
    db.session.commit()
    assert service.deliver_due().sent == 1  # no MAIL_SERVER: into the mail folder

    page.goto(f"{live_server}/dev/mail/?lang=es")
    page.get_by_role("link", name="Mensaje de prueba de LANET").click()
    frame = page.frame_locator("iframe.mail-frame")
    assert "Estimado/a Lucía Fernández:" in frame.locator("body").inner_text()
    assert "Secretaría Técnica" in frame.locator("body").inner_text()
    page.screenshot(path=str(artifacts / "mail-layout.png"), full_page=True)
