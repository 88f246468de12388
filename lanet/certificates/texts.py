"""Placeholders in a template's title and body: which exist, checking them, filling them in.

Only plain names are allowed (`{name}`): `str.format` would also accept `{name.__class__}`
or format specs, which a template typed into a web form must never reach.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

PLACEHOLDERS = ("name", "event", "cycle", "dates", "place", "days", "hours", "role")


class PlaceholderError(ValueError):
    """A title or body that cannot be filled in; `message` says why, in English."""

    def __init__(self, message: str, placeholder: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.placeholder = placeholder


def _pieces(text: str) -> list[tuple[str, str | None]]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:  # a lone "{" or "}"
        raise PlaceholderError(f"unbalanced braces: {error}") from error
    pieces = []
    for literal, field, spec, conversion in parsed:
        if field is not None and (spec or conversion or field not in PLACEHOLDERS):
            shown = "{" + field + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise PlaceholderError(f"unknown placeholder {shown}", placeholder=field)
        pieces.append((literal, field))
    return pieces


def check(text: str) -> None:
    """Raises PlaceholderError for an unknown placeholder or a stray brace."""
    _pieces(text)


def fill(text: str, values: Mapping[str, str]) -> str:
    return "".join(
        literal + (values.get(field, "") if field else "") for literal, field in _pieces(text)
    )


def fill_markup(text: str, values: Mapping[str, str], bold: tuple[str, ...] = ("name",)) -> str:
    """The filled-in text as reportlab paragraph markup: typed text and values escaped (a "<"
    in a name is a character, not a tag), newlines kept, the holder's name in bold."""
    from xml.sax.saxutils import escape

    out = []
    for literal, field in _pieces(text):
        out.append(escape(literal))
        if field:
            value = escape(values.get(field, ""))
            out.append(f"<b>{value}</b>" if field in bold else value)
    return "<br/>".join("".join(out).splitlines() or [""])
