"""Issue 14, items 2 and 3: no input can stop the mail, and delivery is at least once.

One bad message fails alone with its reason while the rest of its batch goes out; attempts
have a ceiling; the "sent" mark follows the SMTP server's acceptance, so a message whose mark
was lost is sent again with the same Message-ID; claims are short and renewed while a batch
runs.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lanet.core.types import utcnow
from lanet.mail import compose, pacing, service
from lanet.mail.models import OutboxMessage


@pytest.fixture(autouse=True)
def _fresh_rate_window():
    pacing.pacers.clear()
    yield
    pacing.pacers.clear()


def queue(to: str = "ana@example.org", **values) -> OutboxMessage:
    values.setdefault("template", "test_message")
    values.setdefault("language", "es")
    return service.queue_message(to=to, **values)


@pytest.fixture()
def staff_client(client, make_user, login):
    login(client, make_user("staff", language="en"))
    return client


def rows() -> dict[str, OutboxMessage]:
    service.db.session.expire_all()
    return {
        row.recipient_email: row
        for row in service.db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    }


# --- item 2: one bad message fails alone ------------------------------------------------------


def test_a_name_with_cr_lf_does_not_stop_its_batch(db, mail_to_sink):
    queue("first@example.org", name="Ana")
    queue("crlf@example.org", name="Ana\r\nBcc: victim@example.org")
    queue("last@example.org", name="Rui")
    db.session.commit()

    report = service.deliver_due()

    assert report.sent == 3, report.errors
    messages = {m["To"].addresses[0].addr_spec: m for m in mail_to_sink.wait_for(3)}
    assert set(messages) == {"first@example.org", "crlf@example.org", "last@example.org"}
    # The name travels as one header line: no header was injected.
    crlf = messages["crlf@example.org"]
    assert crlf["Bcc"] is None
    assert "\n" not in crlf["To"].addresses[0].display_name
    assert {r.status for r in rows().values()} == {"sent"}


def test_an_unexpected_error_in_one_message_fails_it_alone_with_its_reason(
    db, mail_to_sink, monkeypatch
):
    real = compose.outgoing

    def fragile(message, sender):
        if message.recipient_email == "broken@example.org":
            raise ValueError("something no one foresaw")
        return real(message, sender)

    monkeypatch.setattr(compose, "outgoing", fragile)
    for address in ("a@example.org", "broken@example.org", "b@example.org"):
        queue(address)
    db.session.commit()

    report = service.deliver_due()

    assert (report.sent, report.failed) == (2, 1)
    by_address = rows()
    assert by_address["broken@example.org"].status == "failed"
    assert "something no one foresaw" in by_address["broken@example.org"].last_error
    assert by_address["a@example.org"].status == by_address["b@example.org"].status == "sent"
    assert len(mail_to_sink.wait_for(2)) == 2


def test_an_address_the_smtp_client_cannot_encode_fails_alone(db, mail_to_sink, monkeypatch):
    real = compose.outgoing

    def non_ascii(message, sender):
        built = real(message, sender)
        if message.recipient_email == "jose@example.org":
            # What an internationalised mailbox looks like on the wire to a non-SMTPUTF8 client.
            return compose.Outgoing(recipient="josé@example.org", content=built.content)
        return built

    monkeypatch.setattr(compose, "outgoing", non_ascii)
    for address in ("a@example.org", "jose@example.org", "b@example.org"):
        queue(address)
    db.session.commit()

    report = service.deliver_due()

    assert report.sent == 2
    assert rows()["jose@example.org"].status == "failed"
    assert rows()["jose@example.org"].last_error


def test_a_message_whose_worker_keeps_dying_fails_at_the_attempts_ceiling(
    db, staff_client, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    queue("poison@example.org")
    db.session.commit()
    # Three workers claimed it and died with it (the lease ended each time).
    for _attempt in range(3):
        assert len(service.claim_due(10)) == 1
        db.session.execute(
            update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()

    assert service.claim_due(10) == []  # not a fourth time
    row = rows()["poison@example.org"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert "3 attempts" in row.last_error

    page = staff_client.get("/staff/outbox?status=failed")
    assert page.status_code == 200
    assert "poison@example.org" in page.text and "3 attempts" in page.text


# --- item 3: at least once, same Message-ID ---------------------------------------------------


def test_the_sent_mark_follows_the_servers_acceptance(db, mail_to_sink, monkeypatch):
    marks: list[tuple[set[str], set[str]]] = []
    real = service._mark_sent_batch

    def watching(accepted):
        # When the mark is written, the server already holds every message it marks.
        ids = [claim.id for claim, _context in accepted]
        marking = set(
            db.session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.id.in_(ids)))
        )
        marks.append((marking, set(mail_to_sink.message_ids())))
        return real(accepted)

    monkeypatch.setattr(service, "_mark_sent_batch", watching)
    queued = [queue(f"person{number}@example.org").message_id for number in range(3)]
    db.session.commit()
    assert service.deliver_due().sent == 3
    assert all(marking <= held for marking, held in marks), marks
    # The batch's accepted messages are marked together, in one mark.
    assert [marking for marking, _held in marks] == [set(queued)]


def test_a_lost_sent_mark_resends_the_same_message_id(db, mail_to_sink, monkeypatch):
    messages = [queue(f"person{number}@example.org") for number in range(3)]
    db.session.commit()
    message_ids = sorted(message.message_id for message in messages)

    def crash(*_args, **_kwargs):
        raise SystemExit("the worker is killed between the server's 250 and the sent mark")

    with monkeypatch.context() as patched, pytest.raises(SystemExit):
        patched.setattr(service, "_mark_sent_batch", crash)
        service.deliver_due()
    db.session.rollback()
    assert {row.status for row in rows().values()} == {"sending"}
    assert sorted(mail_to_sink.message_ids()) == message_ids

    # The lease ends; another worker sends them again, with the same Message-IDs.
    db.session.execute(
        update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    pacing.pacers.clear()
    assert service.deliver_due().sent == 3
    received = mail_to_sink.wait_for(6)
    assert sorted(str(m["Message-ID"]) for m in received) == sorted(message_ids * 2)
    assert {row.status for row in rows().values()} == {"sent"}


def test_claims_are_short_and_renewed_while_the_batch_runs(db, mail_to_sink, app, monkeypatch):
    assert service.setting("MAIL_SENDING_TIMEOUT") <= 120
    monkeypatch.setitem(app.config, "MAIL_SENDING_TIMEOUT", 2)
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 10)
    for number in range(4):
        queue(f"slow{number}@example.org")
    db.session.commit()
    leases: list = []
    real_begin = service.transport.SmtpTransport.begin

    def slow_begin(self, email):
        time.sleep(0.8)  # 4 × 0.8 s: the batch outlives a 2 s lease
        leases.append(
            service.db.session.scalar(
                select(OutboxMessage.next_attempt_at).where(
                    OutboxMessage.recipient_email == "slow3@example.org"
                )
            )
        )
        return real_begin(self, email)

    monkeypatch.setattr(service.transport.SmtpTransport, "begin", slow_begin)
    report = service.deliver_due()
    assert report.sent == 4 and report.lost_claim == 0
    # The last message's lease was pushed forward while the others were being sent.
    assert leases[-1] > leases[0]
    assert len(mail_to_sink.wait_for(4)) == 4
