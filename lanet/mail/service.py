"""One way to send: an outbox row written in the caller's transaction, dispatched after commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from lanet.extensions import db
from lanet.mail.models import OutboxAttachment, OutboxMessage

_PENDING_DISPATCH = "lanet_outbox_dispatch"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


def new_message_id() -> str:
    domain = urlparse(current_app.config["BASE_URL"]).hostname or "lanet.local"
    return f"<{secrets.token_hex(16)}@{domain}>"


def queue_message(
    *,
    to: str,
    template: str,
    language: str,
    context: dict | None = None,
    name: str | None = None,
    event_id: int | None = None,
    calendar_ics: bytes | None = None,
    calendar_method: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> OutboxMessage:
    """Adds the message to the current session; nothing is sent unless the caller commits.

    `template` names `templates/mail/<template>.subject.txt`, `.txt` and `.html`; `context`
    must be JSON-serialisable, since a worker renders it later in `language`.
    """
    message = OutboxMessage(
        message_id=new_message_id(),
        recipient_email=to,
        recipient_name=name,
        language=language if language in ("es", "pt", "en") else "es",
        template=template,
        context=dict(context or {}),
        event_id=event_id,
        calendar_ics=calendar_ics,
        calendar_method=calendar_method,
        attachments=[
            OutboxAttachment(filename=a.filename, content_type=a.content_type, content=a.content)
            for a in attachments
        ],
    )
    db.session.add(message)
    _dispatch_after_commit(db.session())
    return message


def _dispatch_after_commit(session: Session) -> None:
    """Queues delivery only once the rows are committed; a rollback queues nothing."""
    if session.info.get(_PENDING_DISPATCH):
        return
    session.info[_PENDING_DISPATCH] = True

    @sa_event.listens_for(session, "after_commit", once=True)
    def _after_commit(committed: Session) -> None:
        committed.info.pop(_PENDING_DISPATCH, None)
        _request_delivery()

    @sa_event.listens_for(session, "after_rollback", once=True)
    def _after_rollback(rolled_back: Session) -> None:
        rolled_back.info.pop(_PENDING_DISPATCH, None)


def _request_delivery() -> None:
    """Asks a worker to deliver what is pending; if the broker is down, the relay catches up."""
    celery_app = current_app.extensions["celery"]
    try:
        celery_app.send_task("lanet.mail.deliver_pending", queue="mail", retry=False)
    except Exception:  # broker down: the beat relay re-dispatches pending messages
        current_app.logger.warning("broker unavailable; outbox relay will dispatch later")
