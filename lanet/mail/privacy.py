"""The outbox: the personal data of messages, declared for lanet.privacy.

A message keeps its template, dates and status (the Secretariat's delivery records); what
it carried about the person goes: address, name, the context it is rendered from, the
calendar part and attachments. Messages to other people that name the person (an
organizer told of a registration) keep their shape with those strings blanked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from lanet.core.personal_data import (
    ERASED,
    ERASED_DOMAIN,
    PersonalData,
    blank_mentions,
    declare,
    iso,
    mentions,
    not_personal,
    sql_mentions,
    strong_identifiers,
)
from lanet.extensions import db
from lanet.mail.models import OutboxMessage, OutboxStatus
from lanet.network.models import Person


def messages_to(person: Person) -> list[OutboxMessage]:
    if not person.email:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_email == person.email)
            .order_by(OutboxMessage.id)
        )
    )


def messages_naming(person: Person, exclude: set[int]) -> list[OutboxMessage]:
    """Messages to someone else whose context or error text names the person."""
    identifiers = strong_identifiers(person)
    candidates = db.session.scalars(
        select(OutboxMessage)
        .where(
            or_(
                sql_mentions(OutboxMessage.context, identifiers),
                sql_mentions(OutboxMessage.last_error, identifiers),
                sql_mentions(OutboxMessage.recipient_name, identifiers),
            )
        )
        .order_by(OutboxMessage.id)
    )
    return [
        m
        for m in candidates
        if m.id not in exclude
        and (
            mentions(m.context, identifiers)
            or mentions(m.last_error, identifiers)
            or mentions(m.recipient_name, identifiers)
        )
    ]


def export_messages(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "template": m.template,
            "language": m.language,
            "status": m.status,
            "context": m.context,
            "has_calendar": m.calendar_ics is not None,
            "attachments": [a.filename for a in m.attachments],
            "created_at": iso(m.created_at),
            "sent_at": iso(m.sent_at),
        }
        for m in messages_to(person)
    ]


def erase_messages(person: Person) -> None:
    own = messages_to(person)
    for message in own:
        if message.status == OutboxStatus.pending:
            # Never deliver to an address that no longer exists in the database.
            message.status = OutboxStatus.failed
        if message.status == OutboxStatus.failed:
            message.last_error = "recipient erased"
        elif mentions(message.last_error, strong_identifiers(person)):
            message.last_error = ERASED
        message.recipient_email = f"erased-message-{message.id}@{ERASED_DOMAIN}"
        message.recipient_name = None
        message.context = {}
        # The iMIP part names the person as attendee, with their address.
        message.calendar_ics = None
        message.calendar_method = None
        # Extra headers (a bulletin's List-Unsubscribe) carry a link tied to the recipient.
        message.headers = None
        message.attachments.clear()
    identifiers = strong_identifiers(person)
    for message in messages_naming(person, {m.id for m in own}):
        message.context = blank_mentions(message.context or {}, identifiers)
        if mentions(message.last_error, identifiers):
            message.last_error = ERASED
        if mentions(message.recipient_name, identifiers):
            message.recipient_name = None


declare(
    PersonalData(
        name="mail.outbox",
        columns={
            "outbox_messages": [
                "recipient_email",
                "recipient_name",
                "context",
                "calendar_ics",
                "calendar_method",
                "headers",
                "last_error",
            ],
            "outbox_attachments": ["filename", "content"],
        },
        export=export_messages,
        erase=erase_messages,
        description="emails to the person and the context they are rendered from; other "
        "people's messages that name the person",
    )
)
not_personal("outbox_messages", ["message_id"], "a random Message-ID header, <hex@host>")
not_personal("outbox_attachments", ["content_type"], "a MIME type")
