"""Check-in, undo and the import of paper sign-in sheets: the only code that writes attendance.

Every function commits its own unit of work; a change of attendance asks a worker to recompile
the stored totals once the transaction has committed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lanet.attendance import codes
from lanet.attendance.models import Attendance, CheckInMethod
from lanet.attendance.totals import request_compile
from lanet.core import audit
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Registration, RegistrationStatus

MAX_SHEET_ROWS = 5000


class CheckInError(Exception):
    """A check-in that cannot be recorded; `message` is shown to the organizer as is."""

    def __init__(self, message: object) -> None:
        # Kept lazy: it is translated when shown, in the language of whoever sees it.
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class CheckIn:
    attendance: Attendance
    registration: Registration
    # True when this registration was already checked in that day (a second scan).
    already: bool = False


@dataclass(frozen=True)
class RowError:
    row: int
    # A lazy translation, rendered in the language of the page that shows it.
    message: object


class ImportRejected(Exception):
    """The sheet has bad rows; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


@dataclass
class ImportResult:
    recorded: int = 0
    already: int = 0
    rows: int = 0


# --- days ------------------------------------------------------------------------------------


def event_days(event: Event) -> list[date]:
    """The days check-in offers: those with agenda items (in the event's time zone), or every
    day of the event when it has no agenda. A month-long event with five days of sessions
    offers five days, not thirty-one."""
    from lanet.agenda.models import AgendaItem

    zone = ZoneInfo(event.timezone)
    starts = db.session.scalars(
        select(AgendaItem.starts_at).where(AgendaItem.event_id == event.id)
    ).all()
    days = sorted(
        {s.astimezone(zone).date() for s in starts}
        & set(_calendar_days(event.start_date, event.end_date))
    )
    return days or _calendar_days(event.start_date, event.end_date)


def _calendar_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def today_at(event: Event, now: datetime | None = None) -> date:
    """The date it is now where the event takes place."""
    return (now or utcnow()).astimezone(ZoneInfo(event.timezone)).date()


def default_day(event: Event, now: datetime | None = None) -> date:
    """During the event, today or the next check-in day; before or after it, the first."""
    today = today_at(event, now)
    days = event_days(event)
    if not event.start_date <= today <= event.end_date:
        return days[0]
    return next((day for day in days if day >= today), days[-1])


def _check_day(event: Event, day: date) -> None:
    if not event.start_date <= day <= event.end_date:
        raise CheckInError(_l("That day is not a day of this event."))


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise CheckInError(_l("No such event."))
    if event.status == EventStatus.cancelled:
        raise CheckInError(_l("This event was cancelled."))
    return event


# --- check-in --------------------------------------------------------------------------------


def _registration_for_code(event: Event, code: str) -> Registration:
    parsed = codes.parse(code)
    if parsed is None:
        raise CheckInError(_l("This is not a LANET check-in code."))
    registration_id, signature = parsed
    registration = db.session.get(Registration, registration_id)
    if registration is None or not codes.verify(registration, signature):
        raise CheckInError(_l("Unknown check-in code."))
    if registration.event_id != event.id:
        raise CheckInError(_l("This code belongs to another event."))
    return registration


def _check_confirmed(registration: Registration) -> None:
    if registration.status != RegistrationStatus.confirmed:
        raise CheckInError(
            _l(
                "%(name)s's registration is not confirmed.",
                name=registration.person.full_name,
            )
        )


def _existing(registration_id: int, day: date) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(
            Attendance.registration_id == registration_id, Attendance.day == day
        )
    )


def scoped_nonce(event_id: int, user_id: int | None, nonce: str | None) -> str | None:
    """The nonce as stored: a digest of the event, the device (the signed-in user or API
    token's user) and the nonce it sent. A scan replayed by the same device at the same event
    finds its first answer; the same nonce anywhere else is a new scan, and never returns
    another event's attendee."""
    if not nonce:
        return None
    scope = f"{event_id}:{user_id if user_id is not None else '-'}:{nonce}"
    return hashlib.sha256(scope.encode("utf-8", "surrogatepass")).hexdigest()


def _record(
    registration: Registration,
    day: date,
    method: str,
    nonce: str | None,
    user_id: int | None,
) -> CheckIn:
    nonce = scoped_nonce(registration.event_id, user_id, nonce)
    if nonce:
        replayed = db.session.scalar(select(Attendance).where(Attendance.nonce == nonce))
        if replayed is not None:
            # The same scan sent again after an outage: the answer it would have had.
            return CheckIn(replayed, replayed.registration, already=False)
    existing = _existing(registration.id, day)
    if existing is not None:
        return CheckIn(existing, registration, already=True)
    attendance = Attendance(
        registration_id=registration.id,
        day=day,
        method=method,
        nonce=nonce or None,
        recorded_by_id=user_id,
        checked_in_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attendance)
    except IntegrityError:
        # A concurrent scan of the same person (or the same nonce) committed first.
        existing = _existing(registration.id, day)
        if existing is None and nonce:
            existing = db.session.scalar(select(Attendance).where(Attendance.nonce == nonce))
        if existing is None:
            raise
        return CheckIn(existing, existing.registration, already=existing.nonce != nonce)
    audit.record(
        "attendance.check_in",
        "attendance",
        attendance.id,
        changes={"day": day.isoformat(), "method": method},
        event_id=registration.event_id,
        person_id=registration.person_id,
        user_id=user_id,
    )
    request_compile()
    db.session.commit()
    return CheckIn(attendance, registration)


def check_in_by_code(
    event_id: int,
    code: str,
    day: date,
    *,
    method: str = CheckInMethod.qr,
    nonce: str | None = None,
    user_id: int | None = None,
) -> CheckIn:
    """Records a scanned (or typed) code; a second scan the same day returns `already=True`."""
    event = _event(event_id)
    _check_day(event, day)
    registration = _registration_for_code(event, code)
    _check_confirmed(registration)
    return _record(registration, day, method, nonce, user_id)


def check_in_registration(
    event_id: int,
    registration_id: int,
    day: date,
    *,
    nonce: str | None = None,
    user_id: int | None = None,
) -> CheckIn:
    """Check-in after a name search, without a code."""
    event = _event(event_id)
    _check_day(event, day)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise CheckInError(_l("No such registration for this event."))
    _check_confirmed(registration)
    return _record(registration, day, CheckInMethod.manual, nonce, user_id)


def undo_check_in(event_id: int, attendance_id: int, *, user_id: int | None = None) -> Attendance:
    """Removes a mistaken check-in; the totals are recompiled without it."""
    attendance = db.session.get(Attendance, attendance_id)
    if attendance is None or attendance.registration.event_id != event_id:
        raise CheckInError(_l("No such check-in for this event."))
    registration = attendance.registration
    audit.record(
        "attendance.undo",
        "attendance",
        attendance.id,
        changes={"day": attendance.day.isoformat(), "method": attendance.method},
        event_id=event_id,
        person_id=registration.person_id,
        user_id=user_id,
    )
    db.session.delete(attendance)
    request_compile()
    db.session.commit()
    return attendance


# --- sign-in sheets --------------------------------------------------------------------------

_COLUMN_NAMES = {
    "code": "code",
    "check-in code": "code",
    "codigo": "code",
    "código": "code",
    "email": "email",
    "e-mail": "email",
    "correo": "email",
    "day": "day",
    "date": "day",
    "dia": "day",
    "día": "day",
    "fecha": "day",
    "data": "day",
}


def _sheet_rows(filename: str, content: bytes) -> Iterator[list[object]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        yield from _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        yield from _csv_rows(content)
    else:
        raise ImportRejected([RowError(0, _l("Upload a CSV or XLSX file."))])


# A stated limit: a sheet past it is refused at once with a clear error, not read on.
SHEET_MAX_ROWS = 5000


def _too_many() -> ImportRejected:
    return ImportRejected(
        [
            RowError(
                0,
                _l(
                    "The file has more than %(count)s rows; split it into smaller files.",
                    count=SHEET_MAX_ROWS,
                ),
            )
        ]
    )


def _csv_rows(content: bytes) -> Iterator[list[object]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[object]] = []
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            rows.append(row)
            if len(rows) > SHEET_MAX_ROWS + 1:  # the header row on top
                raise _too_many()
    except csv.Error as error:  # e.g. a NUL byte: not a text sheet at all
        raise ImportRejected([RowError(0, _l("This is not a readable CSV file."))]) from error
    yield from rows


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    rows: list[list[object]] = []
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        for row in workbook.active.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > SHEET_MAX_ROWS + 1:
                break
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportRejected([RowError(0, _l("This is not a readable XLSX file."))]) from error
    if len(rows) > SHEET_MAX_ROWS + 1:
        raise _too_many()
    yield from rows


def _header(cells: list[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _COLUMN_NAMES.get(str(cell or "").strip().lower())
        if name and name not in columns:
            columns[name] = index
    return columns


def _cell(cells: list[object], index: int | None) -> object:
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _parse_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _registrations_by_email(event_id: int) -> dict[str, Registration]:
    rows = db.session.execute(
        select(Registration, Person.email)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id == event_id, Person.email.is_not(None))
    ).all()
    return {email.lower(): registration for registration, email in rows}


def _row_registration(
    event: Event, cells: list[object], columns: dict[str, int], by_email: dict[str, Registration]
) -> Registration:
    code = str(_cell(cells, columns.get("code")) or "").strip()
    email = str(_cell(cells, columns.get("email")) or "").strip().lower()
    if code:
        return _registration_for_code(event, code)
    if email:
        registration = by_email.get(email)
        if registration is None:
            raise CheckInError(_l("%(email)s is not registered for this event.", email=email))
        return registration
    raise CheckInError(_l("The row has neither a code nor an email."))


def _check_sheet(
    event: Event, rows: Iterable[list[object]]
) -> tuple[list[tuple[Registration, date]], list[RowError], int]:
    """Every row checked before anything is written: (check-ins, errors, data rows)."""
    iterator = iter(rows)
    header = next(iterator, None)
    columns = _header(header or [])
    if "day" not in columns or not ({"code", "email"} & columns.keys()):
        message = _l("The first row must name the columns: code or email, and day.")
        return [], [RowError(1, message)], 0
    by_email = _registrations_by_email(event.id)
    wanted: list[tuple[Registration, date]] = []
    errors: list[RowError] = []
    count = 0
    for number, cells in enumerate(iterator, start=2):
        if not any(str(c or "").strip() for c in cells):
            continue
        count += 1
        if count > MAX_SHEET_ROWS:
            errors.append(RowError(number, _l("Too many rows in one sheet.")))
            break
        try:
            registration = _row_registration(event, cells, columns, by_email)
            _check_confirmed(registration)
            day = _parse_day(_cell(cells, columns["day"]))
            if day is None:
                raise CheckInError(_l("The day is not a date (use YYYY-MM-DD)."))
            _check_day(event, day)
        except CheckInError as error:
            errors.append(RowError(number, error.message))
            continue
        wanted.append((registration, day))
    return wanted, errors, count


def import_sign_in_sheet(
    event_id: int, filename: str, content: bytes, *, user_id: int | None = None
) -> ImportResult:
    """All or nothing: any bad row raises ImportRejected listing every bad row."""
    event = _event(event_id)
    wanted, errors, count = _check_sheet(event, _sheet_rows(filename, content))
    if errors:
        raise ImportRejected(errors)
    if count == 0:
        raise ImportRejected([RowError(2, _l("The sheet has no rows."))])
    recorded_before = set(
        db.session.execute(
            select(Attendance.registration_id, Attendance.day)
            .join(Registration, Attendance.registration_id == Registration.id)
            .where(Registration.event_id == event.id)
        ).all()
    )
    result = ImportResult(rows=count)
    seen: set[tuple[int, date]] = set()
    for registration, day in wanted:
        key = (registration.id, day)
        if key in recorded_before or key in seen:
            result.already += 1
            continue
        seen.add(key)
        attendance = Attendance(
            registration_id=registration.id,
            day=day,
            method=CheckInMethod.import_,
            recorded_by_id=user_id,
            checked_in_at=utcnow(),
        )
        db.session.add(attendance)
        result.recorded += 1
    db.session.flush()
    audit.record(
        "attendance.import",
        "event",
        event.id,
        changes={"file": filename[:120], "recorded": result.recorded, "already": result.already},
        event_id=event.id,
        user_id=user_id,
    )
    request_compile()
    db.session.commit()
    return result


def checked_in_count(event_id: int, day: date) -> int:
    return db.session.scalar(
        select(func.count(Attendance.id))
        .join(Registration, Attendance.registration_id == Registration.id)
        .where(Registration.event_id == event_id, Attendance.day == day)
    )
