"""The outbox in this process: queueing with the change, delivery through a real SMTP server
(aiosmtpd), rendering in three languages, iMIP parts, failures and the staff page."""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import UTC, datetime, timedelta

import ical.calendar_stream
import icalendar
import pytest
from flask import g
from sqlalchemy import func, select, update

from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.mail import pacing, service
from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from tests.fixtures.agenda import create_event


@pytest.fixture(autouse=True)
def _fresh_rate_window():
    """The rate limiter keeps one window per process; each test starts with an empty one."""
    pacing.pacers.clear()
    yield
    pacing.pacers.clear()


def queued_deliveries(app) -> int:
    """Delivery tasks waiting in the broker's "mail" queue (filesystem or Redis)."""
    with app.extensions["celery"].connection_for_write() as connection:
        declared = connection.default_channel.queue_declare("mail", passive=False)
        return declared.message_count


def queue(to: str = "ana@example.org", **values) -> OutboxMessage:
    values.setdefault("template", "test_message")
    values.setdefault("language", "es")
    return service.queue_message(to=to, **values)


def rows() -> list[OutboxMessage]:
    return list(service.db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due() -> None:
    """Ends every backoff and lease now, as the clock would."""
    service.db.session.execute(
        update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    service.db.session.commit()


INVITE = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//LANET//test//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:lemkin-2026-part-1@lanet.test\r\nDTSTAMP:20261127T120000Z\r\n"
    b"DTSTART:20261023T070000Z\r\nDTEND:20261027T150000Z\r\nSEQUENCE:0\r\n"
    b"SUMMARY:Seminario Raphael Lemkin \xe2\x80\x93 Parte I\r\n"
    b"ORGANIZER;CN=LANET:mailto:no-reply@lanet.local\r\n"
    b"ATTENDEE;RSVP=TRUE;CN=Ana P\xc3\xa9rez:mailto:ana@example.org\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


# --- one way to send -----------------------------------------------------------------------


def test_a_rolled_back_change_sends_nothing(app, db, mail_to_sink):
    before = queued_deliveries(app)
    db.session.add(Person(first_name="Ana", last_name="Pérez", email="ana@example.org"))
    queue()
    db.session.flush()
    db.session.rollback()
    # A later, unrelated commit must not carry the rolled-back dispatch with it.
    db.session.add(Person(first_name="Rui", last_name="Costa", email="rui@example.org"))
    db.session.commit()

    assert rows() == []
    assert queued_deliveries(app) == before
    assert service.deliver_due().sent == 0
    time.sleep(0.2)
    assert mail_to_sink.messages == []


def test_delivery_is_queued_after_commit_and_sends_once_with_a_stable_message_id(
    app, db, mail_to_sink
):
    before = queued_deliveries(app)
    message = queue(name="Ana Pérez", context={"note": "Part I starts on 23 October."})
    assert queued_deliveries(app) == before  # not yet: the change is not committed
    db.session.commit()
    assert queued_deliveries(app) == before + 1
    message_id = message.message_id

    assert service.deliver_due().sent == 1
    assert service.deliver_due().sent == 0
    [received] = mail_to_sink.wait_for(1)
    time.sleep(0.2)
    assert len(mail_to_sink.messages) == 1
    assert received["Message-ID"] == message_id
    assert received["To"].addresses[0].addr_spec == "ana@example.org"
    assert received["To"].addresses[0].display_name == "Ana Pérez"
    assert received["Auto-Submitted"] == "auto-generated"
    assert "Part I starts on 23 October." in received.get_body(("plain",)).get_content()
    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None and row.sent_at.tzinfo is not None


@pytest.mark.parametrize(
    ("language", "subject", "greeting", "footer"),
    [
        ("es", "Mensaje de prueba de LANET", "Estimado/a Ana:", "Secretaría Técnica"),
        ("pt", "Mensagem de teste do LANET", "Prezado/a Ana,", "Secretaria Técnica"),
        ("en", "Test message from LANET", "Dear Ana,", "Technical Secretariat"),
    ],
)
def test_rendered_in_the_recipients_language_with_the_networks_layout(
    db, mail_to_sink, language, subject, greeting, footer
):
    queue(language=language, name="Ana")
    db.session.commit()
    service.deliver_due()
    [received] = mail_to_sink.wait_for(1)

    assert received["Subject"] == subject
    assert received["Content-Language"] == language
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for body in (text, html):
        assert greeting in body
        assert footer in body
        assert "LANET" in body
    assert f'<html lang="{language}">' in html
    assert "&lt;" not in text  # plain text is not HTML-escaped


def test_an_invitation_carries_an_imip_part_and_the_same_ics_as_attachment(db, mail_to_sink):
    queue(name="Ana Pérez", calendar_ics=INVITE, calendar_method="REQUEST")
    db.session.commit()
    service.deliver_due()
    [envelope] = [mail_to_sink.wait_for(1) and mail_to_sink.envelopes[0]]
    # Parsed back from the bytes the server received, not from our own object.
    received = email.message_from_bytes(envelope.raw, policy=email.policy.default)

    assert received.get_content_type() == "multipart/mixed"
    alternative, attachment = received.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar_part = alternative.get_payload()
    assert [plain.get_content_type(), html.get_content_type()] == ["text/plain", "text/html"]
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_param("charset").upper() == "UTF-8"
    assert calendar_part.get_content_disposition() is None  # inline, for Outlook
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert calendar_part.get_payload(decode=True) == INVITE
    assert attachment.get_payload(decode=True) == INVITE

    # Two independent parsers read the same invitation.
    parsed = icalendar.Calendar.from_ical(calendar_part.get_payload(decode=True))
    assert parsed["METHOD"] == "REQUEST"
    [vevent] = parsed.walk("VEVENT")
    assert str(vevent["UID"]) == "lemkin-2026-part-1@lanet.test"
    assert vevent.decoded("DTSTART") == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert str(vevent["SUMMARY"]) == "Seminario Raphael Lemkin – Parte I"
    stream = ical.calendar_stream.IcsCalendarStream.calendar_from_ics(
        attachment.get_payload(decode=True).decode()
    )
    [event] = stream.events
    assert event.uid == "lemkin-2026-part-1@lanet.test"
    assert event.summary == "Seminario Raphael Lemkin – Parte I"


def test_a_cancellation_says_method_cancel(db, mail_to_sink):
    cancel = INVITE.replace(b"METHOD:REQUEST", b"METHOD:CANCEL")
    queue(calendar_ics=cancel, calendar_method="CANCEL")
    db.session.commit()
    service.deliver_due()
    [received] = mail_to_sink.wait_for(1)
    [calendar_part] = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert calendar_part.get_param("method") == "CANCEL"
    assert icalendar.Calendar.from_ical(calendar_part.get_content())["METHOD"] == "CANCEL"


def test_other_attachments_travel_too(db, mail_to_sink):
    queue(attachments=[service.Attachment("agenda.pdf", "application/pdf", b"%PDF-1.4 demo")])
    db.session.commit()
    service.deliver_due()
    [received] = mail_to_sink.wait_for(1)
    [pdf] = list(received.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == ("agenda.pdf", "application/pdf")
    assert pdf.get_content() == b"%PDF-1.4 demo"


# --- failures --------------------------------------------------------------------------------


def test_a_permanent_refusal_marks_the_message_failed_with_the_servers_answer(db, mail_to_sink):
    mail_to_sink.reply_to("gone@example.org", "550 5.1.1 No such user here")
    queue(to="gone@example.org")
    queue(to="ana@example.org")
    db.session.commit()

    report = service.deliver_due()
    assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
    gone, ana = rows()
    assert gone.status == "failed"
    assert "550" in gone.last_error and "No such user here" in gone.last_error
    assert ana.status == "sent"
    make_due()
    assert service.deliver_due().sent == 0  # a failed message is not retried by itself
    assert [m["To"].addresses[0].addr_spec for m in mail_to_sink.messages] == ["ana@example.org"]


def test_a_temporary_refusal_retries_with_exponential_backoff(db, mail_to_sink, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 60)
    mail_to_sink.reply_to("busy@example.org", "451 4.3.0 Try again later")
    queue(to="busy@example.org")
    db.session.commit()

    delays = []
    for attempt in (1, 2, 3):
        started = utcnow()
        assert service.deliver_due().retrying == 1
        [row] = rows()
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "451 4.3.0 Try again later" in row.last_error
        delays.append((row.next_attempt_at - started).total_seconds())
        make_due()
    # 60 s, 120 s, 240 s, each with jitter between half and all of it.
    for delay, full in zip(delays, (60, 120, 240), strict=True):
        assert full * 0.5 - 1 <= delay <= full + 1

    mail_to_sink.clear()
    assert service.deliver_due().sent == 1
    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, None)
    assert len(mail_to_sink.wait_for(1)) == 1


@pytest.mark.parametrize(
    ("reply", "status"),
    [("554 5.7.1 Rejected as spam", "failed"), ("452 4.3.1 Out of storage", "pending")],
)
def test_a_refusal_at_the_end_of_data_undoes_the_sent_mark(db, mail_to_sink, reply, status):
    mail_to_sink.reply_to_data("ana@example.org", reply)
    queue()
    db.session.commit()
    service.deliver_due()
    [row] = rows()
    assert (row.status, row.sent_at) == (status, None)
    assert reply in row.last_error
    assert mail_to_sink.messages == []


def test_temporary_failures_stop_after_the_maximum_attempts(db, mail_to_sink, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    mail_to_sink.reply_to("busy@example.org", "421 4.7.0 Too busy")
    queue(to="busy@example.org")
    db.session.commit()
    service.deliver_due()
    make_due()
    service.deliver_due()
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "421 4.7.0 Too busy" in row.last_error


def test_with_the_server_down_messages_wait_and_go_once_it_is_back(db, mail_to_sink):
    mail_to_sink.stop()
    for number in range(3):
        queue(to=f"person{number}@example.org")
    db.session.commit()

    report = service.deliver_due()
    assert (report.sent, report.retrying) == (0, 3)
    assert {(r.status, r.attempts) for r in rows()} == {("pending", 1)}
    assert all("cannot reach" in r.last_error for r in rows())

    mail_to_sink.start()
    assert service.deliver_due().sent == 0  # still in backoff
    make_due()
    assert service.deliver_due().sent == 3
    make_due()
    assert service.deliver_due().sent == 0
    received = mail_to_sink.wait_for(3)
    time.sleep(0.2)
    assert sorted(mail_to_sink.message_ids()) == sorted(r.message_id for r in rows())
    assert len(received) == 3


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"to": "not an address"}, "invalid recipient address"),
        ({"to": "ana@example.org", "template": "no_such_template"}, "cannot render template"),
    ],
)
def test_a_message_that_can_never_be_sent_fails_without_retrying(db, mail_to_sink, values, error):
    queue(**values)
    db.session.commit()
    assert service.deliver_due().failed == 1
    [row] = rows()
    assert row.status == "failed" and error in row.last_error
    assert mail_to_sink.messages == []


def test_a_claim_taken_over_after_its_lease_keeps_the_first_workers_sent_mark(db, mail_to_sink):
    queue()
    db.session.commit()
    [first] = service.claim_due(10)
    assert service.claim_due(10) == []  # held: no second worker takes it
    make_due()  # the first worker's lease ends (it seems dead)
    [second] = service.claim_due(10)
    assert second.attempts == first.attempts + 1

    # The slow first worker's message did go out: its mark stands (at least once), and the
    # second worker's copy, if it sent one, carries the same Message-ID.
    assert service._mark_sent(first) is True
    assert service._mark_sent(second) is False
    [row] = rows()
    assert row.status == "sent"


def test_a_message_left_sending_by_a_dead_worker_is_delivered_after_its_lease(db, mail_to_sink):
    queue()
    db.session.commit()
    [claim] = service.claim_due(10)  # ... and the worker dies here
    assert service.deliver_due().sent == 0
    make_due()
    assert service.deliver_due().sent == 1
    assert len(mail_to_sink.wait_for(1)) == 1
    [row] = rows()
    assert (row.status, row.attempts) == ("sent", claim.attempts + 1)


@pytest.mark.parametrize(("batch_size", "connections"), [(50, 1), (5, 3)])
def test_a_bulk_send_reuses_one_smtp_connection_per_batch(
    db, mail_to_sink, app, monkeypatch, batch_size, connections
):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", batch_size)
    for number in range(12):
        queue(to=f"person{number}@example.org")
    db.session.commit()
    assert service.deliver_due().sent == 12
    mail_to_sink.wait_for(12)
    assert mail_to_sink.connections() == connections


def test_the_next_message_is_built_while_the_server_takes_the_previous_one(
    db, mail_to_sink, monkeypatch
):
    """Issue 16: between the final dot and the server's answer the loop builds the next
    message; a message counts as accepted only once that answer was read."""
    from lanet.mail import compose, transport

    steps: list[str] = []
    real_outgoing, real_end, real_finish = (
        compose.outgoing,
        transport.SmtpTransport.end,
        transport.SmtpTransport.finish,
    )

    def outgoing(message, sender):
        steps.append(f"build {message.recipient_email[:2]}")
        return real_outgoing(message, sender)

    def end(self):
        steps.append("dot")
        return real_end(self)

    def finish(self):
        steps.append("answer")
        return real_finish(self)

    monkeypatch.setattr(compose, "outgoing", outgoing)
    monkeypatch.setattr(transport.SmtpTransport, "end", end)
    monkeypatch.setattr(transport.SmtpTransport, "finish", finish)
    for prefix in ("p1", "p2", "p3"):
        queue(to=f"{prefix}@example.org")
    db.session.commit()
    assert service.deliver_due().sent == 3
    assert steps == [
        "build p1", "dot", "build p2", "answer", "dot", "build p3", "answer", "dot", "answer",
    ]  # fmt: skip
    assert len(mail_to_sink.wait_for(3)) == 3


def test_the_rate_per_minute_is_respected_and_the_rest_waits(db, mail_to_sink, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_MINUTE", 2)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "memory://")
    for number in range(3):
        queue(to=f"person{number}@example.org")
    db.session.commit()

    report = service.deliver_due(seconds=1.0)
    assert (report.sent, report.deferred) == (2, 1)
    waiting = [r for r in rows() if r.status == "pending"]
    assert len(waiting) == 1
    assert waiting[0].attempts == 0  # deferred, not failed
    assert waiting[0].next_attempt_at > utcnow() + timedelta(seconds=30)
    assert len(mail_to_sink.wait_for(2)) == 2


def test_the_relay_requeues_what_is_due(app, db):
    queue()
    db.session.commit()
    before = queued_deliveries(app)
    assert service.relay() == 1
    assert queued_deliveries(app) == before + 1


# --- the embedded default -------------------------------------------------------------------


def test_without_mail_server_messages_go_to_the_folder_and_the_dev_page(
    app, db, client, tmp_path, monkeypatch
):
    assert not app.config["MAIL_SERVER"]
    monkeypatch.setitem(app.config, "DEV_PAGES", True)  # as `./manage.sh run` switches on
    # A folder of its own: other tests of the session also write into the shared one.
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    queue(name="Ana Pérez", language="en", calendar_ics=INVITE)
    db.session.commit()
    assert service.deliver_due().sent == 1

    listing = client.get("/dev/mail/")
    assert listing.status_code == 200
    assert "Test message from LANET" in listing.text
    [name] = re.findall(r'href="/dev/mail/([^"/]+\.eml)"', listing.text)
    detail = client.get(f"/dev/mail/{name}")
    assert detail.status_code == 200
    assert rows()[0].message_id.strip("<>") in detail.text
    assert "text/calendar; method=REQUEST" in detail.text
    assert "Dear Ana Pérez," in client.get(f"/dev/mail/{name}/html").text


# --- the staff page --------------------------------------------------------------------------


@pytest.fixture()
def staff_client(client, make_user, login):
    login(client, make_user("staff"))
    return client


def test_the_outbox_page_is_for_staff_only(app, client, make_user, login):
    anonymous = app.test_client()
    assert anonymous.get("/staff/outbox").status_code == 302
    assert anonymous.post("/staff/outbox/1/resend").status_code == 302
    # The test's app context (and its `g`, where Flask-Login caches the user) spans requests.
    g.pop("_login_user", None)
    login(client, make_user("organizer", event=create_event()))
    assert client.get("/staff/outbox").status_code == 403


def test_the_outbox_lists_filters_and_shows_the_last_error(db, staff_client, mail_to_sink):
    seminar = create_event()
    mail_to_sink.reply_to("gone@mre.gob.ar", "550 5.1.1 Unknown user")
    queue(to="gone@mre.gob.ar", event_id=seminar.id)
    queue(to="ana@mindef.gob.br")
    queue(to="rui@example.org", event_id=seminar.id)
    db.session.commit()
    service.deliver_due()
    queue(to="later@example.org")
    db.session.commit()

    page = staff_client.get("/staff/outbox")
    assert page.status_code == 200
    for address in ("gone@mre.gob.ar", "ana@mindef.gob.br", "rui@example.org", "later@example.org"):
        assert address in page.text
    assert "550 5.1.1 Unknown user" in page.text

    failed = staff_client.get("/staff/outbox?status=failed")
    assert "gone@mre.gob.ar" in failed.text and "rui@example.org" not in failed.text
    pending = staff_client.get("/staff/outbox?status=pending")
    assert "later@example.org" in pending.text and "gone@mre.gob.ar" not in pending.text
    by_event = staff_client.get(f"/staff/outbox?event_id={seminar.id}")
    assert "rui@example.org" in by_event.text and "ana@mindef.gob.br" not in by_event.text
    by_recipient = staff_client.get("/staff/outbox?recipient=GOB.")
    assert "gone@mre.gob.ar" in by_recipient.text and "ana@mindef.gob.br" in by_recipient.text
    assert "rui@example.org" not in by_recipient.text
    wildcard = staff_client.get("/staff/outbox?recipient=%25")
    assert wildcard.status_code == 200 and "rui@example.org" not in wildcard.text


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "event_id=abc",
        "event_id=-3",
        "page=0",
        "page=zz",
        "recipient=" + "x" * 300,
        "event_id=99999999999999999999999",
    ],
)
def test_bad_filters_get_a_clear_error_not_a_500(db, staff_client, query):
    queue()
    db.session.commit()
    response = staff_client.get(f"/staff/outbox?{query}")
    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert "ana@example.org" in response.text  # the unfiltered list, not an empty page


def test_staff_send_a_failed_message_again(db, staff_client, mail_to_sink):
    mail_to_sink.reply_to("gone@example.org", "550 5.1.1 Unknown user")
    queue(to="gone@example.org")
    db.session.commit()
    service.deliver_due()
    [row] = rows()
    assert row.status == "failed"

    mail_to_sink.clear()  # the address was fixed on the other side
    response = staff_client.post(f"/staff/outbox/{row.id}/resend?status=failed")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/outbox?status=failed")
    db.session.expire_all()
    [row] = rows()
    assert row.status == "pending"
    audit = db.session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.object_id) == ("outbox.resend", row.id)

    assert service.deliver_due().sent == 1
    [received] = mail_to_sink.wait_for(1)
    assert received["Message-ID"] == row.message_id  # the same message, not a new one


def test_only_a_failed_message_can_be_sent_again(db, staff_client, mail_to_sink):
    queue()
    db.session.commit()
    service.deliver_due()
    [row] = rows()
    response = staff_client.post(f"/staff/outbox/{row.id}/resend", follow_redirects=True)
    assert response.status_code == 200
    assert "Only a failed message can be sent again." in response.text or (
        "Solo un mensaje fallido puede enviarse de nuevo." in response.text
    )
    missing = staff_client.post("/staff/outbox/424242/resend", follow_redirects=True)
    assert missing.status_code == 200
    db.session.expire_all()
    assert rows()[0].status == "sent"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    time.sleep(0.2)
    assert len(mail_to_sink.messages) == 1
