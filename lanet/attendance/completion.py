"""Who completed a cycle: the people who attended (were checked in on) every part of it."""

from __future__ import annotations

from sqlalchemy import func, select

from lanet.attendance.models import Attendance
from lanet.events.models import Cycle, Event, Series
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Registration


def completers(cycle_ids: list[int]) -> dict[int, list[str]]:
    """{cycle id: full names, sorted}: attended as many distinct parts as the series has."""
    result: dict[int, list[str]] = {cycle_id: [] for cycle_id in cycle_ids}
    if not cycle_ids:
        return result
    needed = dict(
        db.session.execute(
            select(Cycle.id, Series.parts_per_cycle)
            .join(Series, Series.id == Cycle.series_id)
            .where(Cycle.id.in_(cycle_ids))
        ).all()
    )
    rows = db.session.execute(
        select(
            Event.cycle_id,
            Person.first_name,
            Person.last_name,
            func.count(func.distinct(Event.id)),
        )
        .join(Registration, Registration.event_id == Event.id)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .join(Person, Person.id == Registration.person_id)
        .where(Event.cycle_id.in_(cycle_ids), Person.erased_at.is_(None))
        .group_by(Event.cycle_id, Person.id, Person.first_name, Person.last_name)
    )
    for cycle_id, first, last, attended in rows:
        if attended >= needed.get(cycle_id, 0) > 0:
            result[cycle_id].append(f"{first} {last}")
    for names in result.values():
        names.sort()
    return result
