"""Builds the email for one outbox message: rendered in the recipient's language, with the
Network's layout, and an iMIP calendar part (RFC 6047) when the message carries a calendar."""

from __future__ import annotations

import email
import email.policy
import functools
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask_babel import force_locale, get_translations
from jinja2 import Environment, Template
from jinja2.ext import Extension

from lanet.core import signals
from lanet.core.types import utcnow
from lanet.mail.models import OutboxMessage


class _Wire(Compat32):
    """compat32 with CRLF line ends, and a short cut for the common header: a one-line value of
    printable ASCII words, short enough that folding would leave it as it is. compat32 folds
    every header through `email.header.Header`, which was a fifth of building a message; the
    result is byte for byte the same (tests/test_mail_compose.py compares the two)."""

    _PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")

    def fold_binary(self, name: str, value: object) -> bytes:
        if (
            isinstance(value, str)
            and len(name) + 2 + len(value) <= (self.max_line_length or 78)
            and self._PLAIN.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


WIRE = _Wire(linesep="\r\n")
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
    try:
        with rendering(language) as scope:
            return scope.render(template, context, recipient_name)
    except InvalidMessage:
        raise
    except Exception as error:  # a template bug will not fix itself by retrying
        raise InvalidMessage(f"cannot render template {template!r}: {error}") from error


# --- rendering many messages (issue 16) ---------------------------------------------------------
#
# A bulk send renders the same few templates thousands of times. Flask's `render_template` looks
# the template up, runs every context processor and sends two signals per call, and Flask-Babel's
# `_()` looks the locale and the catalogue up again on every string. Here each language has its
# own Jinja environment (an overlay of the app's: same loader, filters and globals) whose `_()`
# is bound to that language's catalogue, so each template is compiled once per (template,
# language) and each string costs a dictionary lookup. The delivery loop renders a batch grouped
# by language inside `rendering(language)`: the locale is switched once and what every message
# shares (context processors, base_url) is computed once; a message adds only its own context.

_ENVIRONMENTS = "lanet.mail.environments"
_environments_lock = threading.Lock()
_SUFFIXES = ("subject.txt", "txt", "html")


def _environment(app: Flask, language: str) -> Environment:
    """The app's Jinja environment with `_()` bound to `language`'s catalogue (call with the
    locale forced to `language`); made once per process and language."""
    environments: dict[str, Environment] = app.extensions.setdefault(_ENVIRONMENTS, {})
    found = environments.get(language)
    if found is not None:
        return found
    with _environments_lock:
        found = environments.get(language)
        if found is None:
            base = app.jinja_env
            # A cache of its own: the copied one would hand back templates bound to the app's
            # environment and its per-call gettext.
            found = base.overlay(cache_size=400, extensions=[_ConstantTranslations])
            # Globals of its own (the overlay shares the app's dict): a copy, made after
            # create_app registered every global.
            found.globals = dict(base.globals)
            # `_()` bound to this language's catalogue. Through the i18n extension as rebound to
            # the overlay: the overlay's `install_gettext_callables` is the app environment's
            # own method, and would replace Flask-Babel's gettext of every page.
            i18n = found.extensions["jinja2.ext.InternationalizationExtension"]
            translations = get_translations()
            i18n._install_callables(  # type: ignore[attr-defined]
                gettext=translations.ugettext,
                ngettext=translations.ungettext,
                newstyle=True,
                pgettext=translations.upgettext,
                npgettext=translations.unpgettext,
            )
            found.globals["lanet_mail_gettext"] = translations.ugettext  # for the inlining
            environments[language] = found
    return found


class _ConstantTranslations(Extension):
    """Compiles `{{ _("a literal") }}` as its translation, in the per-language environments
    only: a string with no variables is the same in every message of one language, so it is
    looked up once, when the template is compiled, not on every render. What the runtime
    `_()` would have written, byte for byte (newstyle gettext: the translation, `% {}`
    applied, not escaped); anything else (variables, filters, whitespace control, a
    translation that looks like template syntax) stays a call."""

    _LITERAL = re.compile(r"""\{\{ ?_\((?:"([^"\\]*)"|'([^'\\]*)')\) ?\}\}""")
    _SYNTAX = re.compile(r"\{[{%#]|[}%#]\}")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        gettext = self.environment.globals.get("lanet_mail_gettext")
        if gettext is None or self.environment.trim_blocks or self.environment.lstrip_blocks:
            return source

        def inline(match: re.Match) -> str:
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            try:
                text = gettext(literal) % {}
            except (TypeError, ValueError, KeyError):
                return match.group(0)  # fails at render time, as before
            if self._SYNTAX.search(text):
                return match.group(0)
            return "{% raw %}" + text + "{% endraw %}"

        return self._LITERAL.sub(inline, source)


@dataclass
class _Scope:
    """One language's rendering: its environment, the values every message gets, and the
    templates already looked up."""

    language: str
    environment: Environment
    # The environment's globals and the context processors' values: what Flask's
    # render_template would put under every template's own values.
    shared: dict
    templates: dict[str, tuple[Template, Template, Template]] = field(default_factory=dict)

    def render(self, template: str, context: dict, recipient_name: str | None) -> Rendered:
        try:
            found = self.templates.get(template)
            if found is None:
                get = self.environment.get_template
                found = self.templates[template] = tuple(  # type: ignore[assignment]
                    get(f"mail/{template}.{suffix}") for suffix in _SUFFIXES
                )
            subject, text, html = found  # type: ignore[misc]
            # As Flask's render_template: the caller's values win over the context processors',
            # and those over the environment's globals. One dict for the three templates (each
            # `Template.render` would copy every global into a new one).
            values = {**self.shared, **context, "recipient_name": recipient_name}
            values["language"] = self.language
            values["base_url"] = self.shared["base_url"]
            rendered_subject = _render_shared(subject, values)
            rendered_text = _render_shared(text, values)
            rendered_html = _render_shared(html, values)
        except Exception as error:  # a template bug will not fix itself by retrying
            raise InvalidMessage(f"cannot render template {template!r}: {error}") from error
        # A subject is one line, whatever whitespace the template left in it.
        return Rendered(
            subject=re.sub(r"\s+", " ", rendered_subject).strip(),
            text=rendered_text,
            html=rendered_html,
        )


def _render_shared(template: Template, values: dict) -> str:
    """`template.render(values)` where `values` already holds the globals: Jinja's public
    `new_context(shared=True)` takes the dict as it is instead of copying the globals in."""
    context = template.new_context(values, shared=True)
    try:
        return template.environment.concat(template.root_render_func(context))  # type: ignore[attr-defined]
    except Exception:
        return template.environment.handle_exception()


_current_scope: ContextVar[_Scope | None] = ContextVar("lanet_mail_scope", default=None)


@contextmanager
def rendering(language: str) -> Iterator[_Scope]:
    """Renders the messages of one language with the locale switched once and the shared values
    computed once (`render` and `outgoing` inside it use it)."""
    current = _current_scope.get()
    if current is not None and current.language == language:
        yield current
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with force_locale(language):
        processors: dict = {}
        app.update_template_context(processors)  # the context processors, once
        environment = _environment(app, language)
        shared = {**environment.globals, **processors, "base_url": app.config["BASE_URL"]}
        scope = _Scope(language, environment, shared)
        token = _current_scope.set(scope)
        try:
            yield scope
        finally:
            _current_scope.reset(token)


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
    prepared = _prepare(message)
    if not prepared.calendar_ics and not message.attachments:
        # The common shape (text and HTML, nothing else) written directly: the same bytes as
        # the email package writes for it (tests/test_mail_compose.py), in a fraction of the time.
        headers = _headers(message, sender, prepared, _alternative_type(boundary := _boundary()))
        content = b"".join(
            [
                *(WIRE.fold_binary(name, value) for name, value in headers),
                b"\r\n--",
                boundary.encode("ascii"),
                b"\r\n",
                _text_bytes(prepared.rendered.text, "plain"),
                b"\r\n--",
                boundary.encode("ascii"),
                b"\r\n",
                _text_bytes(prepared.rendered.html, "html"),
                b"\r\n--",
                boundary.encode("ascii"),
                b"--\r\n",
            ]
        )
        return Outgoing(recipient=prepared.to.addr_spec, content=content)
    assembled = _assemble(message, sender, prepared)
    return Outgoing(recipient=prepared.to.addr_spec, content=as_bytes(assembled))


def build(message: OutboxMessage, sender: str) -> EmailMessage:
    """The email as its recipient reads it (parsed back from the bytes that are sent)."""
    return email.message_from_bytes(outgoing(message, sender).content, policy=email.policy.default)


@dataclass(frozen=True)
class _Prepared:
    to: Address
    rendered: Rendered
    calendar_ics: bytes | None


def _prepare(message: OutboxMessage) -> _Prepared:
    to = recipient_address(message.recipient_email, message.recipient_name)
    rendered = render(message.template, message.language, message.context or {}, to.display_name)
    calendar_ics = message.calendar_ics
    if calendar_ics is None and message.calendar_method:
        # Built late, here in the worker, by the feature that queued the message.
        calendar_ics = signals.collect_message_calendar(message)
    return _Prepared(to=to, rendered=rendered, calendar_ics=calendar_ics)


def _headers(
    message: OutboxMessage, sender: str, prepared: _Prepared, content_type: str | None = None
) -> list[tuple[str, str | Header]]:
    """The top-level headers, in the order the email package writes them."""
    headers: list[tuple[str, str | Header]] = []
    if content_type is not None:
        headers += [("Content-Type", content_type), ("MIME-Version", "1.0")]
    headers += [
        ("Subject", _header(prepared.rendered.subject)),
        ("From", _address(*_parsed_sender(sender))),
        ("To", _address(prepared.to.display_name, prepared.to.addr_spec)),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", message.message_id),
        ("Content-Language", message.language),
        # Vacation responders must not answer LANET's notifications (RFC 3834).
        ("Auto-Submitted", "auto-generated"),
    ]
    headers += [(name, _header(value)) for name, value in (message.headers or {}).items()]
    return headers


@functools.lru_cache(maxsize=16)
def _parsed_sender(sender: str) -> tuple[str, str]:
    return parseaddr(sender)


def _alternative_type(boundary: str) -> str:
    return f'multipart/alternative; boundary="{boundary}"'


_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def _text_bytes(content: str, subtype: str) -> bytes:
    """A `_text` part as the generator writes it: headers, blank line, the quoted-printable
    body with CRLF line ends."""
    body = _UTF8_QP.body_encode(content.encode("utf-8")) if content else ""
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "MIME-Version: 1.0\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + _LINE_ENDS.sub("\r\n", body)
    ).encode("ascii", "surrogateescape")


def _assemble(message: OutboxMessage, sender: str, prepared: _Prepared | None = None) -> Message:
    """The complete email, with the outbox row's stable Message-ID.

    Built with the `email.mime` classes and the compat32 policy: the modern `EmailMessage`
    API parses every header it is given, which made building three times slower, and bulk
    sends build thousands of messages.
    """
    prepared = prepared or _prepare(message)
    rendered, calendar_ics = prepared.rendered, prepared.calendar_ics
    body = MIMEMultipart("alternative", boundary=_boundary())
    body.attach(_text(rendered.text, "plain"))
    body.attach(_text(rendered.html, "html"))
    if calendar_ics:
        body.attach(_calendar_part(calendar_ics, message.calendar_method or "REQUEST"))
    # An attachment the HTML shows by `cid:` travels inside multipart/related, beside the body
    # (RFC 2387), so mail readers draw it in place; the others stay attachments.
    inline = [a for a in message.attachments if f"cid:{inline_cid(a.filename)}" in rendered.html]
    attached = [a for a in message.attachments if a not in inline]
    if inline:
        related = MIMEMultipart("related", boundary=_boundary())
        related.attach(body)
        for attachment in inline:
            related.attach(
                _inline(attachment.content, attachment.content_type, attachment.filename)
            )
        body = related
    root = body
    if calendar_ics or attached:
        root = MIMEMultipart("mixed", boundary=_boundary())
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
    for name, value in _headers(message, sender, prepared):
        root[name] = value
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


def _boundary() -> str:
    """A multipart boundary that cannot occur in the parts: "=_" never appears in
    quoted-printable or base64 output, and 128 random bits will not turn up in a 7bit calendar.
    The generator's own boundary compiles a new regular expression per message to check."""
    return f"=_lanet_{random.getrandbits(128):032x}"


def _text(content: str, subtype: str) -> MIMENonMultipart:
    """text/plain or text/html in UTF-8, quoted-printable: what `MIMEText(content, subtype,
    _UTF8_QP)` makes, byte for byte, without its header rewriting (a part's headers are parsed
    and written again there, a quarter of building a message)."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(_UTF8_QP.body_encode(content.encode("utf-8")) if content else "")
    return part


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
