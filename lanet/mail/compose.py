"""Builds the email for one outbox message: rendered in the recipient's language, with the
Network's layout, and an iMIP calendar part (RFC 6047) when the message carries a calendar."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale

from lanet.core import signals
from lanet.core.types import utcnow
from lanet.mail.models import OutboxMessage

WIRE = compat32.clone(linesep="\r\n")
# Quoted-printable keeps the Spanish and Portuguese text readable in the raw message.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


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


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: none belongs
# in a display name, and a CR/LF there would end the header line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def display_name(name: str | None) -> str:
    """The name as one header-safe line; names stored before the forms refused control
    characters still get their mail."""
    return " ".join(_CONTROL.sub(" ", name or "").split())


def recipient_address(email: str, name: str | None) -> Address:
    try:
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidMessage(f"invalid recipient address {email!r}: {error}") from error
    try:
        return Address(display_name=display_name(name), addr_spec=valid.normalized)
    except ValueError as error:
        raise InvalidMessage(f"invalid recipient {name!r} <{email}>: {error}") from error


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: the envelope recipient and the bytes (CRLF)."""

    recipient: str
    content: bytes


def outgoing(message: OutboxMessage, sender: str) -> Outgoing:
    """What delivery sends for one outbox row."""
    assembled = _assemble(message, sender)
    return Outgoing(recipient=parseaddr(assembled["To"])[1], content=as_bytes(assembled))


def build(message: OutboxMessage, sender: str) -> EmailMessage:
    """The email as its recipient reads it (parsed back from the bytes that are sent)."""
    return email.message_from_bytes(outgoing(message, sender).content, policy=email.policy.default)


def _assemble(message: OutboxMessage, sender: str) -> Message:
    """The complete email, with the outbox row's stable Message-ID.

    Built with the `email.mime` classes and the compat32 policy: the modern `EmailMessage`
    API parses every header it is given, which made building three times slower, and bulk
    sends build thousands of messages.
    """
    to = recipient_address(message.recipient_email, message.recipient_name)
    rendered = render(message.template, message.language, message.context or {}, to.display_name)
    body = MIMEMultipart("alternative")
    body.attach(_text(rendered.text, "plain"))
    body.attach(_text(rendered.html, "html"))
    calendar_ics = message.calendar_ics
    if calendar_ics is None and message.calendar_method:
        # Built late, here in the worker, by the feature that queued the message.
        calendar_ics = signals.collect_message_calendar(message)
    if calendar_ics:
        body.attach(_calendar_part(calendar_ics, message.calendar_method or "REQUEST"))
    # An attachment the HTML shows by `cid:` travels inside multipart/related, beside the body
    # (RFC 2387), so mail readers draw it in place; the others stay attachments.
    inline = [a for a in message.attachments if f"cid:{inline_cid(a.filename)}" in rendered.html]
    attached = [a for a in message.attachments if a not in inline]
    if inline:
        related = MIMEMultipart("related")
        related.attach(body)
        for attachment in inline:
            related.attach(
                _inline(attachment.content, attachment.content_type, attachment.filename)
            )
        body = related
    root = body
    if calendar_ics or attached:
        root = MIMEMultipart("mixed")
        root.attach(body)
        if calendar_ics:
            # The same calendar as a file: Gmail and Apple Mail offer it from here.
            root.attach(
                _attachment(
                    calendar_ics,
                    "application/ics",
                    "invite.ics",
                    method=message.calendar_method or "REQUEST",
                )
            )
        for attachment in attached:
            root.attach(
                _attachment(attachment.content, attachment.content_type, attachment.filename)
            )
    root["Subject"] = _header(rendered.subject)
    root["From"] = _address(*parseaddr(sender))
    root["To"] = _address(to.display_name, to.addr_spec)
    root["Date"] = format_datetime(utcnow())
    root["Message-ID"] = message.message_id
    root["Content-Language"] = message.language
    # Vacation responders must not answer LANET's notifications (RFC 3834).
    root["Auto-Submitted"] = "auto-generated"
    for name, value in (message.headers or {}).items():
        root[name] = _header(value)
    return root


# Set by `_assemble` for every message: a caller's extra headers may not replace them.
_OWN_HEADERS = {
    "subject", "from", "to", "date", "message-id", "content-language", "auto-submitted",
    "mime-version", "content-type", "content-transfer-encoding", "cc", "bcc",
}  # fmt: skip
_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,75}$")


def extra_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """Checks a caller's extra headers: plain names, one-line values, none of the outbox's own."""
    if not headers:
        return None
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in _OWN_HEADERS:
            raise ValueError(f"header {name!r} cannot be set by the caller")
        if "\r" in value or "\n" in value or len(value) > 900:
            raise ValueError(f"header {name!r} must be one line of at most 900 characters")
        checked[name] = value
    return checked


def as_bytes(assembled: Message) -> bytes:
    """The message as it goes on the wire (CRLF line ends)."""
    return assembled.as_bytes(policy=WIRE)


def _text(content: str, subtype: str) -> MIMEText:
    return MIMEText(content, subtype, _UTF8_QP)


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


def _calendar_part(ics: bytes, method: str) -> MIMENonMultipart:
    """text/calendar; method=REQUEST|CANCEL inside multipart/alternative (RFC 6047 iMIP):
    the part Outlook reads."""
    part = MIMENonMultipart("text", "calendar", method=method, charset="UTF-8")
    if ics.isascii():
        part.set_payload(ics.decode("ascii"))
        part["Content-Transfer-Encoding"] = "7bit"
    else:
        part.set_payload(ics)
        encoders.encode_base64(part)
    return part


def inline_cid(filename: str) -> str:
    """The Content-ID by which an email's HTML shows an attached file in place: write
    `<img src="cid:{{ inline_cid(name) }}">`."""
    return f"{filename}@lanet"


def _inline(content: bytes, content_type: str, filename: str) -> MIMEBase:
    part = _attachment(content, content_type, filename)
    del part["Content-Disposition"]
    if filename.isascii():
        part.add_header("Content-Disposition", "inline", filename=filename)
    else:
        part.add_header("Content-Disposition", "inline", filename=("utf-8", "", filename))
    part["Content-ID"] = f"<{inline_cid(filename)}>"
    return part


def _attachment(content: bytes, content_type: str, filename: str, **params: str) -> MIMEBase:
    maintype, _, subtype = content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream", **params)
    part.set_payload(content)
    encoders.encode_base64(part)
    if filename.isascii():
        part.add_header("Content-Disposition", "attachment", filename=filename)
    else:
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return part
