"""Issue 14, item 8: private links stay private — out of access logs, out of stored outbox
contexts once sent, out of idempotency records, and out of caches (no-store)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from lanet.api.models import IdempotencyKey
from lanet.mail import service as mail_service
from lanet.mail.models import OutboxMessage
from lanet.registration.models import Registration


def _register(client, event, email="ana@example.org"):
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json={
            "first_name": "Ana",
            "last_name": "Pérez",
            "email": email,
            "country_code": "AR",
            "consent": True,
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 202, response.get_json()
    from lanet.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(Registration))


def test_access_logs_never_hold_a_private_token(client, db, make_event, caplog):
    registration = _register(client, make_event())
    token = registration.manage_token
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lanet.access"):
        client.get(f"/r/{token}")
        client.get(f"/api/v1/registrations/{token}")
        client.get("/password/reset/some-reset-token-value")
        client.get("/invitations/some-invitation-token")
    lines = [r for r in caplog.records if r.name == "lanet.access"]
    assert len(lines) == 4
    for record in lines:
        assert token not in record.getMessage() and token not in record.path
        assert "some-reset-token-value" not in record.getMessage()
        assert "some-invitation-token" not in record.path
    assert lines[0].path == "/r/[token]"


def test_private_pages_and_personal_api_answers_are_not_stored(
    client, db, make_event, make_user, login
):
    event = make_event()
    registration = _register(client, event)
    token = registration.manage_token
    for url in (f"/r/{token}", f"/api/v1/registrations/{token}", "/password/forgot"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("Cache-Control") == "no-store", url
    public = client.get(f"/events/{event.slug}")
    assert "no-store" not in (public.headers.get("Cache-Control") or "")
    login(client, make_user("staff"))
    assert client.get("/account").headers.get("Cache-Control") == "no-store"
    assert client.get(f"/events/{event.slug}").headers.get("Cache-Control") == "no-store"


def test_idempotency_records_keep_no_private_token(client, db, make_event):
    registration = _register(client, make_event())
    [record] = db.session.scalars(select(IdempotencyKey)).all()
    assert registration.manage_token not in str(record.response_body)
    assert "manage_token" not in str(record.response_body)


def test_a_sent_message_keeps_no_private_link(client, db, make_event, mail_to_sink):
    registration = _register(client, make_event())
    [queued] = db.session.scalars(select(OutboxMessage)).all()
    assert registration.manage_token in queued.context["manage_url"]
    assert mail_service.deliver_due().sent == 1
    [received] = mail_to_sink.wait_for(1)
    # The registrant got the link …
    assert registration.manage_token in received.get_body(("plain",)).get_content()
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, queued.id)
    # … and the outbox forgot it; the rest of the context stays for the staff page.
    assert stored.status == "sent"
    assert "manage_url" not in stored.context
    assert registration.manage_token not in str(stored.context)
    assert stored.context.get("event_title")


def test_a_failed_message_keeps_its_link_for_a_resend(client, db, make_event, mail_to_sink):
    mail_to_sink.reply_to("ana@example.org", "550 5.1.1 No such user")
    _register(client, make_event())
    assert mail_service.deliver_due().failed == 1
    db.session.expire_all()
    [stored] = db.session.scalars(select(OutboxMessage)).all()
    assert stored.status == "failed" and "manage_url" in stored.context
