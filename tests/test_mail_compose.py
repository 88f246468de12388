"""The lean delivery loop's building blocks (issue 16 item 2) produce what the plain ones did.

Rendering goes through one Jinja environment per language (templates compiled once per
(template, language), `_()` bound to that language's catalogue, shared values computed once per
language); headers take a short cut around `email.header.Header`; text parts are built without
MIMEText's header rewriting. Each is compared here with the code it replaces.
"""

from __future__ import annotations

import email.policy
from email.message import Message
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from flask import render_template
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanet.mail import compose, service

STOCK_WIRE = email.policy.compat32.clone(linesep="\r\n")
TEMPLATES = sorted(
    path.name.removesuffix(".subject.txt")
    for path in (Path(__file__).resolve().parent.parent / "templates" / "mail").glob(
        "*.subject.txt"
    )
)


def flask_render(template: str, language: str, values: dict) -> tuple[str, str, str]:
    """How mail was rendered before issue 16: Flask's render_template under force_locale."""
    with force_locale(language):
        return tuple(  # type: ignore[return-value]
            render_template(f"mail/{template}.{suffix}", **values)
            for suffix in ("subject.txt", "txt", "html")
        )


def context_for(template: str) -> dict:
    # Enough for every template to take its main branches; one that needs a database row
    # (the bulletin) fails alike both ways.
    return {
        "note": "Registro número 7 <b>",
        "first_name": "Joana",
        "full_name": "Joana da Silva",
        "event_title": "Seminario Raphael Lemkin «Ciclo 2»",
        "manage_url": "https://lanet.example/r/abc",
        "reset_url": "https://lanet.example/reset/abc",
        "invitation_url": "https://lanet.example/i/abc",
        "status": "confirmed",
        "event_url": "https://lanet.example/events/x",
        "start_date": "2014-05-12",
        "end_date": "2014-05-16",
        "city": "Oświęcim",
        "venue": "Auschwitz Institute",
        "dates": "12–16 May 2014",
        "expires_hours": 2,
        "moved": True,
        "changes": [{"kind": "added", "title": "Sesión 1"}],
        "version": 2,
        "reason": "Fuerza mayor",
        "had_seat": True,
        "wait_reason": "capacity",
        "wait_position": 3,
        "wait_country": "AR",
        "deadline": "1 de junio",
        "days": 3,
        "summary_html": "<b>x</b>",
    }


@pytest.mark.parametrize("language", ["es", "pt", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_rendering_per_language_is_what_flask_rendered(app, db, template, language) -> None:
    context = context_for(template)
    try:
        expected = flask_render(
            template,
            language,
            {
                **context,
                "recipient_name": "Joana da Silva",
                "language": language,
                "base_url": app.config["BASE_URL"],
            },
        )
    except Exception:
        db.session.rollback()
        with pytest.raises(compose.InvalidMessage):
            compose.render(template, language, context, "Joana da Silva")
        return
    rendered = compose.render(template, language, context, "Joana da Silva")
    assert rendered.text == expected[1]
    assert rendered.html == expected[2]
    assert rendered.subject == " ".join(expected[0].split())
    # Really translated (not the msgid), and each language its own.
    if language != "en" and template == "test_message":
        assert rendered.text != compose.render(template, "en", context, "Joana da Silva").text


def test_each_template_is_compiled_once_per_language(app, db, monkeypatch) -> None:
    monkeypatch.delitem(app.extensions, compose._ENVIRONMENTS, raising=False)
    pages_gettext = app.jinja_env.globals["gettext"]
    loaded: list[str] = []
    loader = app.jinja_env.loader
    real = loader.get_source

    def counting(environment, name):
        loaded.append(name)
        return real(environment, name)

    monkeypatch.setattr(loader, "get_source", counting)
    for _round in range(3):
        for language in ("es", "pt"):
            with compose.rendering(language):
                for number in range(5):
                    compose.render("test_message", language, {"note": str(number)}, "Ana")
    # Three templates and two layouts, compiled once for each language, whatever the count.
    assert sorted(loaded) == sorted(
        [
            "mail/test_message.subject.txt",
            "mail/test_message.txt",
            "mail/test_message.html",
            "mail/_layout.txt",
            "mail/_layout.html",
        ]
        * 2
    )
    # The app's own environment keeps Flask-Babel's per-call gettext: pages are unaffected.
    assert app.jinja_env.globals["gettext"] is pages_gettext
    assert compose._environment(app, "es").globals["gettext"] is not pages_gettext


HEADER_VALUES = [
    "Test message from LANET",
    "<0123456789abcdef0123456789abcdef@lanet.local>",
    "Mon, 30 Nov 2026 09:00:00 +0000",
    "auto-generated",
    "es",
    '"Ana  Pérez" <ana@example.org>',
    "a" * 70,
    "a" * 71,
    "word " * 20,
    " leading space",
    "trailing space ",
    "two  spaces",
    "tab\there",
    "=?utf-8?q?Jos=C3=A9?= <jose@example.org>",
    "<https://lanet.example/unsubscribe/abc>, <mailto:unsubscribe@lanet.example>",
    "List-Unsubscribe=One-Click",
    "",
]


@pytest.mark.parametrize("value", HEADER_VALUES)
@pytest.mark.parametrize("name", ["Subject", "To", "Message-ID", "List-Unsubscribe-Post"])
def test_the_header_short_cut_writes_what_compat32_writes(name, value) -> None:
    assert compose.WIRE.fold_binary(name, value) == STOCK_WIRE.fold_binary(name, value)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["Subject", "To", "X-Long-Header-Name-For-Testing"]),
    value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120),
)
def test_the_header_short_cut_matches_compat32_on_any_ascii(name, value) -> None:
    assert compose.WIRE.fold_binary(name, value) == STOCK_WIRE.fold_binary(name, value)


TEXTS = [
    "",
    "plain",
    "Olá, Joana! Inscrição confirmada.\n\n-- \nSecretaria",
    "a line with = sign and trailing space \nnext\tline\t\n",
    ".\n.leading dot\n..two",
    "x" * 200 + "\n" + "é" * 100,
    "<p style=\"margin:0 0 16px;\">Estimada Ana,</p>\r\n<a href='https://x/?a=1&b=2'>x</a>",
    "no final newline é",
    "From the start of a line\nFrom here",
]


def as_wire(part: Message) -> bytes:
    return part.as_bytes(policy=STOCK_WIRE)


@pytest.mark.parametrize("subtype", ["plain", "html"])
@pytest.mark.parametrize("content", TEXTS)
def test_text_parts_are_what_mimetext_made(content, subtype) -> None:
    assert as_wire(compose._text(content, subtype)) == as_wire(
        MIMEText(content, subtype, compose._UTF8_QP)
    )


@settings(max_examples=200, deadline=None)
@given(content=st.text(max_size=400))
def test_text_parts_match_mimetext_on_any_text(content) -> None:
    content = content.replace("\x00", "")
    assert as_wire(compose._text(content, "plain")) == as_wire(
        MIMEText(content, "plain", compose._UTF8_QP)
    )


def test_a_whole_message_is_the_same_with_the_short_cut_and_without(app, db) -> None:
    message = service.queue_message(
        to="joana@example.org",
        name="Joana da Silva Ñandú",
        template="test_message",
        language="pt",
        context={"note": "Nota"},
        calendar_ics=b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
        headers={"List-Unsubscribe": "<https://lanet.example/u/abc>"},
    )
    db.session.flush()
    assembled = compose._assemble(message, app.config["MAIL_DEFAULT_SENDER"])
    assert compose.as_bytes(assembled) == assembled.as_bytes(policy=STOCK_WIRE)
    parsed = compose.build(message, app.config["MAIL_DEFAULT_SENDER"])
    assert parsed["Message-ID"] == message.message_id
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    db.session.rollback()


@pytest.fixture()
def fixed_boundary_and_date(monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setattr(compose, "_boundary", lambda: "=_lanet_0123456789abcdef0123456789abcdef")
    monkeypatch.setattr(compose, "utcnow", lambda: datetime(2026, 11, 30, 9, 0, tzinfo=UTC))


def written_by_the_email_package(message, sender: str) -> bytes:
    return compose._assemble(message, sender).as_bytes(policy=STOCK_WIRE)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(max_size=80),
    subject_note=st.text(max_size=120),
    note=st.text(max_size=600),
    language=st.sampled_from(["es", "pt", "en"]),
    # Headers are the service's own values (unsubscribe links); like st.text() above, no lone
    # surrogates, which no str that came through a UTF-8 decode can hold.
    header=st.one_of(
        st.none(),
        st.text(alphabet=st.characters(min_codepoint=32, codec="utf-8"), max_size=90),
    ),
)
def test_a_plain_message_written_directly_is_what_the_email_package_writes(
    app, db, fixed_boundary_and_date, name, subject_note, note, language, header
) -> None:
    """Text and HTML, no calendar, no attachment: `outgoing` writes the bytes itself."""
    sender = app.config["MAIL_DEFAULT_SENDER"]
    header = header.replace("\r", " ").replace("\n", " ") if header is not None else None
    message = service.queue_message(
        to="joana.silva@example.org",
        name=name,
        template="test_message",
        language=language,
        context={"note": note.replace("\x00", ""), "subject_note": subject_note},
        headers={"List-Unsubscribe": header} if header else None,
    )
    try:
        assert compose.outgoing(message, sender).content == written_by_the_email_package(
            message, sender
        )
    finally:
        db.session.rollback()


def test_a_message_with_a_calendar_or_attachments_still_goes_through_the_email_package(
    app, db, fixed_boundary_and_date
) -> None:
    sender = app.config["MAIL_DEFAULT_SENDER"]
    message = service.queue_message(
        to="joana@example.org",
        name="Joana",
        template="test_message",
        language="es",
        calendar_ics=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        attachments=[service.Attachment("a.pdf", "application/pdf", b"%PDF-1.4")],
    )
    try:
        built = compose.outgoing(message, sender)
        assert built.content == written_by_the_email_package(message, sender)
        assert built.recipient == "joana@example.org"
    finally:
        db.session.rollback()
