"""Reading attendance: the stored totals, a focal point's country, the check-in lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, distinct, exists, extract, func, or_, select
from sqlalchemy.orm import contains_eager

from lanet.attendance.models import ALL_YEARS, Attendance, AttendanceTotal, TotalDimension
from lanet.attendance.totals import INSTRUCTOR_ROLES, PARTICIPANT_ROLES
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Country, Person
from lanet.registration.models import Registration, RegistrationStatus


def totals_by(dimension: str, year: int = ALL_YEARS) -> list[AttendanceTotal]:
    return list(
        db.session.scalars(
            select(AttendanceTotal)
            .where(AttendanceTotal.dimension == dimension, AttendanceTotal.year == year)
            .order_by(AttendanceTotal.key)
        )
    )


def total(dimension: str, year: int, key: str) -> AttendanceTotal | None:
    return db.session.scalar(
        select(AttendanceTotal).where(
            AttendanceTotal.dimension == dimension,
            AttendanceTotal.year == year,
            AttendanceTotal.key == key,
        )
    )


def years() -> list[AttendanceTotal]:
    """One row per year with attendance, oldest first: the line across years."""
    return list(
        db.session.scalars(
            select(AttendanceTotal)
            .where(AttendanceTotal.dimension == TotalDimension.year, AttendanceTotal.year > 0)
            .order_by(AttendanceTotal.year)
        )
    )


def country_by_year(country_code: str) -> list[AttendanceTotal]:
    return list(
        db.session.scalars(
            select(AttendanceTotal)
            .where(
                AttendanceTotal.dimension == TotalDimension.country,
                AttendanceTotal.key == country_code,
                AttendanceTotal.year > 0,
            )
            .order_by(AttendanceTotal.year)
        )
    )


def country_names(language: str) -> dict[str, str]:
    return {c.code: c.name(language) for c in db.session.scalars(select(Country))}


@dataclass(frozen=True)
class EventCount:
    event: Event
    participants: int
    instructors: int
    person_days: int


def country_events(country_code: str, year: int | None = None) -> list[EventCount]:
    """People of one country at each event, counted in the database."""
    participant = case((Registration.role.in_(PARTICIPANT_ROLES), Registration.person_id))
    instructor = case((Registration.role.in_(INSTRUCTOR_ROLES), Registration.person_id))
    query = (
        select(
            Event,
            func.count(distinct(participant)),
            func.count(distinct(instructor)),
            func.count(Attendance.id),
        )
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .join(Event, Registration.event_id == Event.id)
        .where(Person.country_code == country_code)
        .group_by(Event.id)
        .order_by(Event.start_date)
    )
    if year:
        query = query.where(extract("year", Event.start_date) == year)
    return [EventCount(*row) for row in db.session.execute(query).all()]


@dataclass(frozen=True)
class CheckInRow:
    attendance_id: int
    registration_id: int
    name: str
    country_code: str | None
    role: str
    method: str
    checked_in_at: object


def check_ins(event_id: int, day: date, limit: int = 200) -> list[CheckInRow]:
    rows = db.session.execute(
        select(
            Attendance.id,
            Registration.id,
            Person.first_name,
            Person.last_name,
            Person.country_code,
            Registration.role,
            Attendance.method,
            Attendance.checked_in_at,
        )
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id == event_id, Attendance.day == day)
        .order_by(Attendance.checked_in_at.desc())
        .limit(limit)
    ).all()
    return [CheckInRow(r[0], r[1], f"{r[2]} {r[3]}".strip(), r[4], r[5], r[6], r[7]) for r in rows]


@dataclass(frozen=True)
class Match:
    registration: Registration
    checked_in: bool


def search_registrations(event_id: int, text: str, day: date, limit: int = 20) -> list[Match]:
    """Confirmed registrations whose name or email contains every word typed."""
    words = [w for w in text.split() if w][:4]
    if not words:
        return []
    query = (
        select(Registration, Attendance.id)
        .join(Person, Registration.person_id == Person.id)
        # The page shows each match's name and country: the person comes in the same row.
        .options(contains_eager(Registration.person))
        .outerjoin(
            Attendance,
            (Attendance.registration_id == Registration.id) & (Attendance.day == day),
        )
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.confirmed,
        )
        .order_by(Person.last_name, Person.first_name)
        .limit(limit)
    )
    for word in words:
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(Person.first_name).like(pattern),
                func.lower(Person.last_name).like(pattern),
                func.lower(Person.email).like(pattern),
            )
        )
    return [
        Match(registration, attendance_id is not None)
        for registration, attendance_id in db.session.execute(query).all()
    ]


def confirmed_registrations(event_id: int) -> list[Registration]:
    """Confirmed registrations by name, each with its person, institution and country (the
    badges show them): three statements however many."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Person, Registration.person_id == Person.id)
            .options(
                contains_eager(Registration.person).selectinload(Person.institution),
                contains_eager(Registration.person).selectinload(Person.country),
            )
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.confirmed,
            )
            .order_by(Person.last_name, Person.first_name)
        )
    )


def confirmed_count(event_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.confirmed,
            )
        )
        or 0
    )


def attendees_with_email(event_id: int) -> list[tuple[str, str]]:
    """(email, language) of everyone registered for the event who checked in at least once."""
    rows = db.session.execute(
        select(Person.email, Person.language)
        .join(Registration, Registration.person_id == Person.id)
        .where(
            Registration.event_id == event_id,
            Person.email.is_not(None),
            exists().where(Attendance.registration_id == Registration.id),
        )
        .distinct()
        .order_by(Person.email)
    )
    return [(email, language) for email, language in rows]
