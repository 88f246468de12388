"""Compiling the stored attendance totals: SQL aggregation only, never a loop over rows.

One pass reduces the attendance rows to one row per registration (its person-days and every
attribute the totals are counted by) in a temporary table; each dimension is then one
INSERT … SELECT … GROUP BY over that much smaller table, all in one transaction, so readers
see either the old totals or the new ones.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
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
    event,
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
from lanet.core.types import UTCDateTime, utcnow
from lanet.events.models import Cycle, Event, Series
from lanet.extensions import db
from lanet.network.models import Institution, Person
from lanet.registration.models import Registration, RegistrationRole

COMPILE_TASK = "lanet.attendance.compile_totals"
PARTICIPANT_ROLES = (RegistrationRole.participant.value,)
INSTRUCTOR_ROLES = (RegistrationRole.instructor.value, RegistrationRole.speaker.value)
_PENDING = "lanet_totals_compile"

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

# dimension -> the grain column it is counted by
_DIMENSION_COLUMNS = {
    TotalDimension.event: grain.c.event_id,
    TotalDimension.kind: grain.c.kind,
    TotalDimension.cycle: grain.c.cycle_id,
    TotalDimension.country: grain.c.country,
    TotalDimension.institution_kind: grain.c.institution_kind,
    TotalDimension.role: grain.c.role,
    TotalDimension.gender: grain.c.gender,
}


def _fill_grain(connection: Connection) -> None:
    year = cast(extract("year", Event.start_date), Integer)
    per_registration = (
        select(
            Registration.person_id,
            Registration.event_id,
            year,
            Event.kind,
            Event.cycle_id,
            func.coalesce(Person.country_code, ""),
            func.coalesce(Institution.kind, ""),
            func.coalesce(Person.gender, ""),
            Registration.role,
            func.count(),
        )
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Event, Registration.event_id == Event.id)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Institution, Person.institution_id == Institution.id)
        .group_by(
            Registration.id,
            Registration.person_id,
            Registration.event_id,
            year,
            Event.kind,
            Event.cycle_id,
            Person.country_code,
            Institution.kind,
            Person.gender,
            Registration.role,
        )
    )
    connection.execute(insert(grain).from_select([c.name for c in grain.c], per_registration))


def _counts() -> list:
    participant = case((grain.c.role.in_(PARTICIPANT_ROLES), grain.c.person_id))
    instructor = case((grain.c.role.in_(INSTRUCTOR_ROLES), grain.c.person_id))
    return [
        func.count(distinct(participant)),
        func.count(distinct(instructor)),
        func.count(distinct(grain.c.person_id)),
        func.coalesce(func.sum(grain.c.days), 0),
    ]


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


def _dimension_totals(connection: Connection, dimension: TotalDimension, at) -> None:
    column = _DIMENSION_COLUMNS[dimension]
    key = cast(column, String)
    where = column.is_not(None)
    by_year = (
        select(literal(dimension.value), grain.c.year, key, *_counts(), at)
        .where(where)
        .group_by(grain.c.year, column)
    )
    all_years = (
        select(literal(dimension.value), literal(ALL_YEARS), key, *_counts(), at)
        .where(where)
        .group_by(column)
    )
    _insert_totals(connection, by_year)
    _insert_totals(connection, all_years)


def _year_totals(connection: Connection, at) -> None:
    dimension = literal(TotalDimension.year.value)
    by_year = select(dimension, grain.c.year, cast(grain.c.year, String), *_counts(), at).group_by(
        grain.c.year
    )
    all_years = select(dimension, literal(ALL_YEARS), literal("all"), *_counts(), at)
    _insert_totals(connection, by_year)
    _insert_totals(connection, all_years)


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
    grain.drop(connection, checkfirst=True)
    grain.create(connection)
    try:
        _fill_grain(connection)
        connection.execute(delete(AttendanceTotal))
        _year_totals(connection, at)
        for dimension in _DIMENSION_COLUMNS:
            _dimension_totals(connection, dimension, at)
        _cycle_completion(connection, at)
    finally:
        grain.drop(connection)
    session.commit()
    return started


def last_compiled_at() -> datetime | None:
    return db.session.scalar(select(func.max(AttendanceTotal.compiled_at)))


def compile_if_stale(requested_at: datetime | None) -> bool:
    """A queued recompile is skipped when a compile started after the change it was asked for."""
    latest = last_compiled_at()
    if requested_at is not None and latest is not None and latest > requested_at:
        return False
    compile_totals()
    return True


def request_compile(session: Session) -> None:
    """Once the attendance change commits, ask a worker (queue "reports") to recompile."""
    if session.info.get(_PENDING):
        return
    session.info[_PENDING] = True

    @event.listens_for(session, "after_commit", once=True)
    def _after_commit(committed: Session) -> None:
        committed.info.pop(_PENDING, None)
        _dispatch(utcnow())

    @event.listens_for(session, "after_rollback", once=True)
    def _after_rollback(rolled_back: Session) -> None:
        rolled_back.info.pop(_PENDING, None)


def _dispatch(requested_at: datetime) -> None:
    celery_app = current_app.extensions["celery"]
    try:
        celery_app.send_task(
            COMPILE_TASK, args=[requested_at.isoformat()], queue="reports", retry=False
        )
    except Exception:  # broker down: beat's periodic compile catches up
        current_app.logger.warning("broker unavailable; totals will be recompiled by beat")
