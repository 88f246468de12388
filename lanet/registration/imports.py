"""Reading what organizers and focal points paste or upload: address lists and CSV files.

Parsing only, nothing written: a file is all or nothing, and `ImportRejected` names every bad
row by its line number.
"""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l

from lanet.core.text import has_control_characters
from lanet.network.models import LANGUAGES
from lanet.registration.errors import ImportRejected
from lanet.registration.invitations import Invitee
from lanet.registration.nominations import Nominee

NOMINATION_COLUMNS = ("first_name", "last_name", "email", "institution", "position", "language")
# Stated limits: a file past them is refused at once, before any row is checked or written.
# Invitations are sent by a worker (import_jobs.py), so a file may be long; the request only
# validates and stores it (docs/imports.md has the measured times).
INVITATION_MAX_ROWS = 20_000
# The API's CSV text, as the page's upload (2 MB).
INVITATION_MAX_CHARS = 2_000_000
NOMINATION_MAX_ROWS = 500


def parse_email_list(text: str) -> tuple[list[str], list[str]]:
    """(valid addresses, invalid entries) from text separated by commas, semicolons or lines."""
    from email_validator import EmailNotValidError, validate_email

    valid: list[str] = []
    invalid: list[str] = []
    for raw in (text or "").replace(";", "\n").replace(",", "\n").splitlines():
        entry = raw.strip()
        if not entry:
            continue
        try:
            address = validate_email(entry, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            invalid.append(entry)
            continue
        if address not in valid:
            valid.append(address)
    return valid, invalid


def parse_invitation_csv(text: str) -> list[Invitee]:
    """Rows of `email[,language]`; a header row is allowed. All or nothing."""
    rows = _csv_rows(text, INVITATION_MAX_ROWS + 1)  # the header row may come on top
    invitees: list[Invitee] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, row in rows:
        if number == 1 and row and row[0].strip().lower() in {"email", "correo", "e-mail"}:
            continue
        email_text = row[0].strip() if row else ""
        language = (row[1].strip().lower() if len(row) > 1 else "") or "es"
        if has_control_characters(email_text) or has_control_characters(language):
            # A NUL, a line break inside a quoted field: named, never echoed into the page.
            errors.append(
                (
                    number,
                    str(_l("Must not contain control characters such as line breaks or tabs.")),
                )
            )
            continue
        valid, _invalid = parse_email_list(email_text)
        if len(valid) != 1:
            errors.append(
                (number, str(_l("Not a valid email address: %(value)s", value=email_text)))
            )
            continue
        if language not in LANGUAGES:
            errors.append((number, str(_l("Language must be es, pt or en."))))
            continue
        if valid[0] in seen:
            errors.append((number, str(_l("This address appears twice in the file."))))
            continue
        seen.add(valid[0])
        invitees.append(Invitee(email=valid[0], language=language, row=number))
    if errors:
        raise ImportRejected(errors)
    if not invitees:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    return invitees


def parse_nomination_csv(text: str) -> list[Nominee]:
    """Rows with the columns of NOMINATION_COLUMNS (header required); format errors by row."""
    rows = _csv_rows(text, NOMINATION_MAX_ROWS + 1)  # with its header row
    if not rows:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    header = [cell.strip().lower() for cell in rows[0][1]]
    missing = [c for c in ("first_name", "last_name", "email") if c not in header]
    if missing:
        raise ImportRejected(
            [(1, str(_l("Missing columns: %(columns)s", columns=", ".join(missing))))]
        )
    nominees: list[Nominee] = []
    for number, row in rows[1:]:
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        nominees.append(
            Nominee(
                first_name=values.get("first_name", ""),
                last_name=values.get("last_name", ""),
                email=values.get("email", ""),
                language=(values.get("language") or "es").lower(),
                position=values.get("position") or None,
                institution_name=values.get("institution") or None,
                row=number,
            )
        )
    if not nominees:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    return nominees


def too_many_rows(limit: int) -> object:
    return _l("The file has more than %(count)s rows; split it into smaller files.", count=limit)


def _csv_rows(text: str, max_rows: int) -> list[tuple[int, list[str]]]:
    """Non-empty rows with their 1-based line numbers; ';' or ',' separated; refused whole
    past `max_rows`."""
    text = (text or "").lstrip("\ufeff")
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, row in enumerate(reader, start=1):
            if any(c.strip() for c in row):
                rows.append((number, row))
                if len(rows) > max_rows:
                    raise ImportRejected([(0, str(too_many_rows(max_rows - 1)))])
    except csv.Error as error:  # an overlong field, a stray NUL or carriage return
        raise ImportRejected(
            [(reader.line_num, str(_l("This row cannot be read as CSV: %(error)s", error=error)))]
        ) from error
    return rows
