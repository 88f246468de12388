"""The request boundary: what no route may pass on to the code or the database.

Every route gets the same guard, so that no view needs to remember it:

- NUL characters (PostgreSQL refuses them in text, and the driver's error would look like a
  database outage): in the path or a form field → 400; in the query → dropped (filters);
- JSON nested deeper than MAX_JSON_DEPTH → 400 (Python's json module raises RecursionError on
  deep nesting, which no parser catches);
- integers in URLs: ASCII digits only, and within PostgreSQL's `integer` (`<int:…>`);
- `parse_int` for numbers read from query strings and forms, with the same rules.
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

MAX_INT4 = 2**31 - 1
MAX_JSON_DEPTH = 64

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
_JSON_STRING = re.compile(rb'"(?:\\.|[^"\\])*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def parse_int(value: object, *, minimum: int = 0, maximum: int = MAX_INT4) -> int | None:
    """An integer typed by a client, or None: ASCII digits only (`"²".isdigit()` is True but
    `int("²")` fails), within [minimum, maximum] (PostgreSQL's integer by default)."""
    text = str(value).strip() if value is not None else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


class Int4Converter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits, at most PostgreSQL's integer; anything else is
    a page that does not exist (404), never a database error."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, **options: int) -> None:
        options["min"] = options.get("min") or 0
        options["max"] = min(options.get("max") or MAX_INT4, MAX_INT4)
        super().__init__(url_map, **options)


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text nests arrays/objects deeper than `limit` (strings ignored)."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b'""', body))
    depth = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in items) for key, items in values.lists())


def guard_request() -> None:
    """Runs before every view."""
    if "\x00" in request.path:
        abort(400, description="A NUL character in the address.")
    if _has_nul(request.args):
        # Query values are filters and links, and a filter never fails: the NULs are dropped.
        request.args = ImmutableMultiDict(
            (key.replace("\x00", ""), value.replace("\x00", ""))
            for key, value in request.args.items(multi=True)
        )
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            if _has_nul(request.form):
                abort(400, description="A NUL character in a form field.")
        elif request.is_json and json_too_deep(request.get_data(cache=True)):
            # (NULs inside JSON strings are refused by the API's schemas, naming the field.)
            abort(400, description=f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = Int4Converter
    app.before_request(guard_request)
