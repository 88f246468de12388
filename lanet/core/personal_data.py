"""The registry of personal data: each feature declares what it stores about a person.

pretix calls this a "shredder": every feature that keeps something about a person registers
how to export it and how to erase it, next to its own models (`lanet/<feature>/privacy.py`).
`lanet.privacy` (at the top of the layers) runs every declaration for a person's export and
erasure, and a test fails when a table column that can hold personal data is covered by no
declaration and is not declared as not personal with a reason.

Features import this module, never `lanet.privacy`. The helpers at the bottom (identifying
strings, blanking JSON) are pure functions so that every eraser blanks the same way.

An eraser runs inside the erasure's one transaction and must not commit: it changes rows in
the session and leaves the commit (and the audit entry) to `lanet.privacy.service`. Erasers
run by `order`, lowest first; the person row itself is blanked last, so every other eraser
still sees the person's name and email.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, false, func, or_, true

# The Person model lives in `network`, above core: the registry takes it as a plain object.
PersonLike = Any

ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"
# Erasers that rely on the person's name and email run before this; the person row at it.
PERSON_ROW_ORDER = 1000
# What JSON may store escaped: anything outside printable ASCII, quotes and backslashes.
_NOT_PLAIN = re.compile(r'[^\x20-\x7e]|["\\]')

# Keys whose values identify a person wherever they appear in stored JSON (audit changes,
# message contexts, stored API responses).
PERSONAL_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "full_name",
        "email",
        "recipient",
        "recipient_email",
        "recipient_name",
        "position",
        "phone",
        "gender",
        "decline_reason",
        "comment",
        "note",
        "affiliation",
        "manage_token",
    }
)


@dataclass(frozen=True)
class PersonalData:
    """What one feature stores about people, and how to export and erase it.

    `columns` names every column this declaration covers, by table: the coverage test checks
    them against the metadata. `export` returns JSON-ready data (None when there is nothing);
    `erase` blanks or deletes the person's data in the session, without committing.
    """

    name: str
    columns: Mapping[str, Sequence[str]]
    export: Callable[[PersonLike], Any] | None = None
    erase: Callable[[PersonLike], None] | None = None
    order: int = 100
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or "." not in self.name:
            raise ValueError("name a declaration '<feature>.<what>', e.g. 'mail.outbox'")
        if self.export is None and self.erase is None:
            raise ValueError(f"{self.name}: a declaration exports or erases something")
        frozen = {table: tuple(columns) for table, columns in self.columns.items()}
        object.__setattr__(self, "columns", MappingProxyType(frozen))


@dataclass(frozen=True)
class NotPersonal:
    """Columns that look personal to the coverage test but are not, and why."""

    table: str
    columns: tuple[str, ...]
    reason: str


@dataclass
class _Registry:
    entries: dict[str, PersonalData] = field(default_factory=dict)
    exemptions: dict[tuple[str, str], NotPersonal] = field(default_factory=dict)


_registry = _Registry()


def declare(entry: PersonalData) -> PersonalData:
    """Registers (or, on a re-import, replaces) the declaration of that name."""
    _registry.entries[entry.name] = entry
    return entry


def not_personal(table: str, columns: Iterable[str], reason: str) -> None:
    """States that these columns hold nothing about a person; the reason is required."""
    if not reason.strip():
        raise ValueError(f"{table}: say why these columns are not personal")
    entry = NotPersonal(table, tuple(columns), reason.strip())
    for column in entry.columns:
        _registry.exemptions[(table, column)] = entry


def declared() -> list[PersonalData]:
    """Every declaration, in the order erasers run (then by name, so the order is stable)."""
    return sorted(_registry.entries.values(), key=lambda e: (e.order, e.name))


def exemptions() -> dict[tuple[str, str], NotPersonal]:
    return dict(_registry.exemptions)


def covered_columns() -> dict[tuple[str, str], list[str]]:
    """(table, column) -> the names of the declarations that cover it."""
    covered: dict[tuple[str, str], list[str]] = {}
    for entry in declared():
        for table, columns in entry.columns.items():
            for column in columns:
                covered.setdefault((table, column), []).append(entry.name)
    return covered


# --- helpers shared by erasers ------------------------------------------------------------


def identifying_strings(person: PersonLike) -> list[str]:
    """The person's email and names, lower-cased, longest first."""
    values = [person.email, person.full_name, person.first_name, person.last_name]
    # Names of two letters or fewer would blank unrelated text; the keys catch those anyway.
    return sorted({v.lower() for v in values if v and len(v) > 2}, key=len, reverse=True)


def strong_identifiers(person: PersonLike) -> list[str]:
    """Email and full name only: safe to look for in data not linked to the person by id."""
    values = [person.email, person.full_name if person.first_name and person.last_name else None]
    return sorted({v.lower() for v in values if v and len(v) > 2}, key=len, reverse=True)


def mentions(value: Any, identifiers: Sequence[str]) -> bool:
    """True when any string inside `value` (JSON, text or bytes) contains an identifier."""
    if not identifiers or value is None:
        return False
    if isinstance(value, dict):
        return any(mentions(k, identifiers) or mentions(v, identifiers) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(mentions(item, identifiers) for item in value)
    if isinstance(value, bytes | bytearray | memoryview):
        value = unfold(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, str):
        lowered = value.lower()
        return any(i in lowered for i in identifiers)
    return False


def sql_mentions(column: Any, identifiers: Sequence[str]) -> ColumnElement[bool]:
    """A WHERE condition finding rows whose text or JSON column may contain an identifier.

    JSON is stored with non-ASCII characters escaped, and case folding of non-ASCII letters
    differs between databases: the condition looks for the longest plain-ASCII run of each
    identifier, so it finds a superset. Check the rows it finds with `mentions` before
    changing them.
    """
    text = func.lower(cast(column, Text))
    fragments = set()
    for identifier in identifiers:
        fragment = max(_NOT_PLAIN.split(identifier.lower()), key=len)
        if len(fragment) < 3:
            return true()  # nothing specific enough to search for: every row is a candidate
        fragments.add(fragment)
    if not fragments:
        return false()
    return or_(*(text.contains(f, autoescape=True) for f in sorted(fragments)))


def unfold(text: str) -> str:
    """iCalendar and email headers fold long lines; a name may be split across two."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "")


def blank(value: Any, identifiers: Sequence[str], keys: frozenset[str] = PERSONAL_KEYS) -> Any:
    """A copy of JSON `value` with personal keys and strings naming the person replaced.

    The shape stays ([old, new] pairs stay pairs) so that pages showing it still render.
    """
    if isinstance(value, dict):
        return {
            key: (_erased_value(item) if key in keys else blank(item, identifiers, keys))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [blank(item, identifiers, keys) for item in value]
    if isinstance(value, str) and any(i in value.lower() for i in identifiers):
        return ERASED
    return value


def blank_mentions(value: Any, identifiers: Sequence[str]) -> Any:
    """For JSON that is not about the person as a whole (someone else's message, a stored API
    answer): each object that names the person directly is blanked as `blank` does (its
    personal keys too, so a first name beside the email goes with it); other objects keep
    their values, and strings naming the person elsewhere are replaced."""
    if isinstance(value, dict):
        if any(isinstance(item, str) and mentions(item, identifiers) for item in value.values()):
            return blank(value, identifiers)
        return {key: blank_mentions(item, identifiers) for key, item in value.items()}
    if isinstance(value, list):
        return [blank_mentions(item, identifiers) for item in value]
    if isinstance(value, str) and mentions(value, identifiers):
        return ERASED
    return value


def redact(value: Any, identifiers: Sequence[str]) -> Any:
    """A copy of JSON or text `value` with each whole-word mention of an identifier replaced
    by ERASED inside the strings (for texts that are about something else, such as a
    session's description naming its speaker)."""
    if not identifiers:
        return value
    if isinstance(value, dict):
        return {key: redact(item, identifiers) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, identifiers) for item in value]
    if isinstance(value, str):
        pattern = "|".join(re.escape(i) for i in sorted(identifiers, key=len, reverse=True))
        return re.sub(rf"(?<!\w)(?:{pattern})(?!\w)", ERASED, value, flags=re.IGNORECASE)
    return value


def _erased_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_erased_value(item) for item in value]
    return None if value is None else ERASED


def iso(value: Any) -> str | None:
    """Dates and datetimes as ISO 8601 for exports; None stays None."""
    return value.isoformat() if value is not None else None


__all__ = [
    "ERASED",
    "ERASED_DOMAIN",
    "PERSONAL_KEYS",
    "PERSON_ROW_ORDER",
    "NotPersonal",
    "PersonalData",
    "blank",
    "blank_mentions",
    "covered_columns",
    "declare",
    "declared",
    "exemptions",
    "identifying_strings",
    "iso",
    "mentions",
    "not_personal",
    "redact",
    "sql_mentions",
    "strong_identifiers",
    "unfold",
]
