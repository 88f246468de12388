"""Builds the email for one outbox message: rendered in the recipient's language, with the
Network's layout, and an iMIP calendar part (RFC 6047) when the message carries a calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale

from lanet.core.types import utcnow
from lanet.mail.models import OutboxMessage

NETWORK_NAME = "Latin American Network for Genocide and Mass Atrocity Prevention"


class InvalidMessage(ValueError):
    """The message can never be sent as it is (bad address, missing template): a permanent
    failure, not worth a retry."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, language: str, context: dict, recipient_name: str | None) -> Rendered:
    """Renders `templates/mail/<template>.subject.txt`, `.txt` and `.html` in `language`."""
    values = {
        **context,
        "recipient_name": recipient_name,
        "language": language,
        "base_url": current_app.config["BASE_URL"],
    }
    try:
        with force_locale(language):
            subject = render_template(f"mail/{template}.subject.txt", **values)
            text = render_template(f"mail/{template}.txt", **values)
            html = render_template(f"mail/{template}.html", **values)
    except Exception as error:  # a template bug will not fix itself by retrying
        raise InvalidMessage(f"cannot render template {template!r}: {error}") from error
    # A subject is one line, whatever whitespace the template left in it.
    return Rendered(subject=re.sub(r"\s+", " ", subject).strip(), text=text, html=html)


def recipient_address(email: str, name: str | None) -> Address:
    try:
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidMessage(f"invalid recipient address {email!r}: {error}") from error
    return Address(display_name=name or "", addr_spec=valid.normalized)


def build(message: OutboxMessage, sender: str) -> EmailMessage:
    """The complete email, with the outbox row's stable Message-ID."""
    to = recipient_address(message.recipient_email, message.recipient_name)
    rendered = render(message.template, message.language, message.context or {}, to.display_name)
    email = EmailMessage()
    email["Subject"] = rendered.subject
    email["From"] = sender
    email["To"] = to
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message.message_id
    # Vacation responders must not answer LANET's notifications (RFC 3834).
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    if message.calendar_ics:
        _add_calendar(email, message.calendar_ics, message.calendar_method or "REQUEST")
    # After the body: making the message multipart moves Content-* headers into the first part.
    email["Content-Language"] = message.language
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email


def _add_calendar(email: EmailMessage, ics: bytes, method: str) -> None:
    """multipart/mixed[multipart/alternative[plain, html, text/calendar; method=...],
    invite.ics]: Outlook reads the inline part, Gmail and Apple Mail also want the file."""
    email.add_alternative(
        ics,
        maintype="text",
        subtype="calendar",
        cte="7bit" if ics.isascii() else "base64",
        params={"method": method, "charset": "UTF-8"},
    )
    email.add_attachment(
        ics,
        maintype="application",
        subtype="ics",
        filename="invite.ics",
        params={"method": method},
    )
