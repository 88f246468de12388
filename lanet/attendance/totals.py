"""Compiling the stored attendance totals: SQL aggregation only, never a loop over rows.

One pass reduces the attendance rows to one row per registration (its person-days and every
attribute the totals are counted by) in a temporary table; each dimension is then one
INSERT … SELECT … GROUP BY over that much smaller table, all in one transaction, so readers
see either the old totals or the new ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    delete,
    distinct,
    extract,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lanet.attendance.models import ALL_YEARS, Attendance, AttendanceTotal, TotalDimension
from lanet.core import dispatch
from lanet.core.types import UTCDateTime, utcnow
from lanet.events.models import Cycle, Event, Series
from lanet.extensions import db
from lanet.network.models import Institution, Person
from lanet.registration.models import Registration, RegistrationRole

COMPILE_TASK = "lanet.attendance.compile_totals"
PARTICIPANT_ROLES = (RegistrationRole.participant.value,)
INSTRUCTOR_ROLES = (RegistrationRole.instructor.value, RegistrationRole.speaker.value)

_grain_metadata = MetaData()
# One row per registration that has attendance; private to the compiling connection.
grain = Table(
    "tmp_attendance_grain",
    _grain_metadata,
    Column("person_id", Integer),
    Column("event_id", Integer),
    Column("year", Integer),
    Column("kind", String(32)),
    Column("cycle_id", Integer),
    Column("country", String(2)),
    Column("institution_kind", String(40)),
    Column("gender", String(8)),
    Column("role", String(16)),
    Column("days", Integer),
    prefixes=["TEMPORARY"],
)


def _person_table(name: str, by_year: bool) -> Table:
    """One row per person (and year): what a person is counted by never varies with events."""
    return Table(
        name,
        _grain_metadata,
        Column("person_id", Integer),
        *([Column("year", Integer)] if by_year else []),
        Column("country", String(2)),
        Column("institution_kind", String(40)),
        Column("gender", String(8)),
        Column("p", Integer),
        Column("i", Integer),
        Column("days", Integer),
        prefixes=["TEMPORARY"],
    )


person_year = _person_table("tmp_attendance_person_year", by_year=True)
person_all = _person_table("tmp_attendance_person", by_year=False)
_TEMPORARY = (grain, person_year, person_all)

# Attributes of the person: counted from the per-person tables with plain sums.
_PERSON_DIMENSIONS = {
    TotalDimension.country: "country",
    TotalDimension.institution_kind: "institution_kind",
    TotalDimension.gender: "gender",
}
# Attributes of the registration or event: a person may appear under one key several times.
_EVENT_DIMENSIONS = {
    TotalDimension.kind: grain.c.kind,
    TotalDimension.cycle: grain.c.cycle_id,
    TotalDimension.role: grain.c.role,
}


def _fill_grain(connection: Connection) -> None:
    # Attendance alone is counted per registration first (a narrow scan); only those far
    # fewer rows are joined to the registration, person, institution and event.
    days = (
        select(Attendance.registration_id, func.count().label("days"))
        .group_by(Attendance.registration_id)
        .subquery()
    )
    per_registration = (
        select(
            Registration.person_id,
            Registration.event_id,
            cast(extract("year", Event.start_date), Integer),
            Event.kind,
            Event.cycle_id,
            func.coalesce(Person.country_code, ""),
            func.coalesce(Institution.kind, ""),
            func.coalesce(Person.gender, ""),
            Registration.role,
            days.c.days,
        )
        .select_from(days)
        .join(Registration, days.c.registration_id == Registration.id)
        .join(Event, Registration.event_id == Event.id)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Institution, Person.institution_id == Institution.id)
    )
    connection.execute(insert(grain).from_select([c.name for c in grain.c], per_registration))


def _participant_flag(role_column):
    return case((role_column.in_(PARTICIPANT_ROLES), 1), else_=0)


def _only_participant(p, i):
    """The one definition of "participants": people who took part as participants and did not
    teach or speak in the same scope. Who did both counts once, as an instructor, so
    participants + instructors never exceeds people and a stacked chart agrees with the table."""
    return case((i == 1, 0), else_=p)


def _instructor_flag(role_column):
    return case((role_column.in_(INSTRUCTOR_ROLES), 1), else_=0)


def _fill_people(connection: Connection) -> None:
    attributes = [grain.c.country, grain.c.institution_kind, grain.c.gender]
    by_year = select(
        grain.c.person_id,
        grain.c.year,
        *attributes,
        _only_participant(
            func.max(_participant_flag(grain.c.role)), func.max(_instructor_flag(grain.c.role))
        ),
        func.max(_instructor_flag(grain.c.role)),
        func.sum(grain.c.days),
    ).group_by(grain.c.person_id, grain.c.year, *attributes)
    connection.execute(insert(person_year).from_select([c.name for c in person_year.c], by_year))
    py = person_year.c
    overall = select(
        py.person_id, py.country, py.institution_kind, py.gender,
        _only_participant(func.max(py.p), func.max(py.i)), func.max(py.i), func.sum(py.days),
    ).group_by(py.person_id, py.country, py.institution_kind, py.gender)  # fmt: skip
    connection.execute(insert(person_all).from_select([c.name for c in person_all.c], overall))


_TOTAL_COLUMNS = [
    "dimension",
    "year",
    "key",
    "participants",
    "instructors",
    "people",
    "person_days",
    "compiled_at",
]


def _insert_totals(connection: Connection, query) -> None:
    connection.execute(insert(AttendanceTotal).from_select(_TOTAL_COLUMNS, query))


def _totals_query(dimension: str, column, by_year: bool, at):
    """Two hash aggregations instead of COUNT(DISTINCT): first one row per person and key
    (was this person a participant, an instructor, how many days), then count the rows."""
    keys = [grain.c.year.label("year")] if by_year else []
    key = (column if column is not None else literal("all")).label("key")
    per_person = select(
        *keys,
        key,
        grain.c.person_id,
        _only_participant(
            func.max(_participant_flag(grain.c.role)), func.max(_instructor_flag(grain.c.role))
        ).label("p"),
        func.max(_instructor_flag(grain.c.role)).label("i"),
        func.sum(grain.c.days).label("d"),
    ).group_by(*keys, *([column] if column is not None else []), grain.c.person_id)
    if column is not None:
        per_person = per_person.where(column.is_not(None))
    people = per_person.subquery()
    year = people.c.year if by_year else literal(ALL_YEARS)
    return select(
        literal(dimension),
        year,
        cast(people.c.key, String),
        func.sum(people.c.p),
        func.sum(people.c.i),
        func.count(),
        func.sum(people.c.d),
        at,
    ).group_by(*([people.c.year] if by_year else []), people.c.key)


def _event_dimension_totals(connection: Connection, dimension: TotalDimension, at) -> None:
    column = _EVENT_DIMENSIONS[dimension]
    _insert_totals(connection, _totals_query(dimension.value, column, True, at))
    _insert_totals(connection, _totals_query(dimension.value, column, False, at))


def _person_totals_query(dimension: str, table: Table, key, at):
    """People are already one row per person (and year) in `table`: plain sums count them."""
    year = table.c.year if "year" in table.c else literal(ALL_YEARS)
    grouping = [table.c.year] if "year" in table.c else []
    return select(
        literal(dimension),
        year,
        cast(key, String),
        func.sum(table.c.p),
        func.sum(table.c.i),
        func.count(),
        func.sum(table.c.days),
        at,
    ).group_by(*grouping, *([key] if key is not table.c.get("year") else []))


def _person_dimension_totals(connection: Connection, at) -> None:
    for dimension, column in _PERSON_DIMENSIONS.items():
        for table in (person_year, person_all):
            query = _person_totals_query(dimension.value, table, table.c[column], at)
            _insert_totals(connection, query)
    year = TotalDimension.year.value
    _insert_totals(connection, _person_totals_query(year, person_year, person_year.c.year, at))
    everyone = (
        _person_totals_query(year, person_all, literal("all"), at)
        .group_by(None)
        .having(func.count() > 0)  # no attendance at all: no row, rather than one of NULLs
    )
    _insert_totals(connection, everyone)


def _event_totals(connection: Connection, at) -> None:
    """A person registers once per event: each grain row is one person at one event."""
    for year in (grain.c.year, literal(ALL_YEARS)):
        query = select(
            literal(TotalDimension.event.value),
            year,
            cast(grain.c.event_id, String),
            func.sum(_participant_flag(grain.c.role)),
            func.sum(_instructor_flag(grain.c.role)),
            func.count(),
            func.sum(grain.c.days),
            at,
        ).group_by(grain.c.year, grain.c.event_id)
        _insert_totals(connection, query)


def _cycle_completion(connection: Connection, at) -> None:
    """Participants who attended every part of a cycle (as many parts as its series has)."""
    per_person = (
        select(
            grain.c.cycle_id,
            grain.c.person_id,
            func.count(distinct(grain.c.event_id)).label("parts"),
            func.sum(grain.c.days).label("days"),
        )
        .where(grain.c.cycle_id.is_not(None), grain.c.role.in_(PARTICIPANT_ROLES))
        .group_by(grain.c.cycle_id, grain.c.person_id)
        .subquery()
    )
    completed = (
        select(
            literal(TotalDimension.cycle_completion.value),
            literal(ALL_YEARS),
            cast(per_person.c.cycle_id, String),
            func.count(),
            literal(0),
            func.count(),
            func.sum(per_person.c.days),
            at,
        )
        .select_from(per_person)
        .join(Cycle, Cycle.id == per_person.c.cycle_id)
        .join(Series, Series.id == Cycle.series_id)
        .where(per_person.c.parts >= Series.parts_per_cycle)
        .group_by(per_person.c.cycle_id)
    )
    _insert_totals(connection, completed)


def _tune(connection: Connection) -> None:
    """Room for the hash aggregations in memory, for this transaction only."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL work_mem = '64MB'"))


def _serialise(connection: Connection) -> None:
    """Two compiles at once would each delete and insert; on PostgreSQL they take turns."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('lanet.attendance.totals'))")
        )


def compile_totals(session: Session | None = None) -> datetime:
    """Replaces every stored total in one transaction; returns the compile's start time."""
    session = session or db.session()
    connection = session.connection()
    _serialise(connection)
    started = utcnow()
    at = literal(started, UTCDateTime())
    _tune(connection)
    for table in _TEMPORARY:
        table.drop(connection, checkfirst=True)
        table.create(connection)
    try:
        _fill_grain(connection)
        _fill_people(connection)
        connection.execute(delete(AttendanceTotal))
        _person_dimension_totals(connection, at)
        _event_totals(connection, at)
        for dimension in _EVENT_DIMENSIONS:
            _event_dimension_totals(connection, dimension, at)
        _cycle_completion(connection, at)
    finally:
        for table in _TEMPORARY:
            table.drop(connection)
    session.commit()
    return started


def last_compiled_at() -> datetime | None:
    return db.session.scalar(select(func.max(AttendanceTotal.compiled_at)))


def last_attendance_change() -> datetime | None:
    """When attendance last changed: the newest check-in, or the newest audited check-in,
    undo or import (an undo leaves no row to date it)."""
    from lanet.core.audit import AuditEntry

    newest_row = db.session.scalar(select(func.max(Attendance.checked_in_at)))
    newest_entry = db.session.scalar(
        select(func.max(AuditEntry.at)).where(AuditEntry.action.like("attendance.%"))
    )
    found = [moment for moment in (newest_row, newest_entry) if moment is not None]
    return max(found) if found else None


def is_stale(compiled_at: datetime | None = None) -> bool:
    """Missing (attendance exists, no totals) or older than the last attendance change."""
    compiled_at = compiled_at or last_compiled_at()
    changed = last_attendance_change()
    if changed is None:
        return False
    return compiled_at is None or compiled_at < changed


def ensure_fresh() -> datetime | None:
    """What every report, dashboard and summary calls before reading the stored totals: they
    are compiled here and now when missing or stale (the reports worker may be down), so a
    page never shows zero participants beside a live count. Returns when they were compiled."""
    compiled_at = last_compiled_at()
    if is_stale(compiled_at):
        compiled_at = compile_totals()
    return compiled_at


def compile_if_stale(requested_at: datetime | None) -> bool:
    """A queued recompile is skipped when a compile started after the change it was asked for."""
    latest = last_compiled_at()
    if requested_at is not None and latest is not None and latest > requested_at:
        return False
    compile_totals()
    return True


def request_compile() -> None:
    """Once the attendance change commits, ask a worker (queue "reports") to recompile.

    The request carries the commit's time, so a compile that started later is not repeated;
    if the broker is down, beat's periodic compile catches up.
    """
    dispatch.on_commit(
        lambda: dispatch.send_task(COMPILE_TASK, utcnow().isoformat(), queue="reports"),
        key=COMPILE_TASK,
    )
