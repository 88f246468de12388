"""Reading for certificates: the attendance a template's eligibility needs, and listings."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lanet.attendance.models import Attendance
from lanet.certificates import eligibility
from lanet.certificates.models import (
    Certificate,
    CertificateDecision,
    CertificateRun,
    CertificateTemplate,
    TemplateKind,
)
from lanet.events.models import Cycle, Event
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Registration, RegistrationStatus


def event_days(event: Event) -> int:
    return (event.end_date - event.start_date).days + 1


def parts_of(template: CertificateTemplate) -> list[Event]:
    if template.kind == TemplateKind.attendance:
        return [template.event] if template.event else []
    return list(
        db.session.scalars(
            select(Event).where(Event.cycle_id == template.cycle_id).order_by(Event.part_number)
        )
    )


def candidates(parts: list[Event]) -> list[eligibility.Candidate]:
    """Everyone registered for any of the parts, with the days they attended in each."""
    event_ids = [part.id for part in parts]
    if not event_ids:
        return []
    registrations = db.session.execute(
        select(
            Registration.id,
            Registration.person_id,
            Registration.event_id,
            Registration.role,
            Registration.status,
            Person.first_name,
            Person.last_name,
        )
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.event_id.in_(event_ids))
    ).all()
    days: dict[int, set[date]] = defaultdict(set)
    for registration_id, day in db.session.execute(
        select(Attendance.registration_id, Attendance.day)
        .join(Registration, Registration.id == Attendance.registration_id)
        .where(Registration.event_id.in_(event_ids))
    ):
        days[registration_id].add(day)
    order = {event_id: index for index, event_id in enumerate(event_ids)}
    people: dict[int, dict] = {}
    for row in sorted(registrations, key=lambda r: order[r.event_id]):
        person = people.setdefault(
            row.person_id,
            {
                "name": f"{row.first_name} {row.last_name}".strip(),
                # The first part's role and status speak for the person.
                "role": row.role,
                "confirmed": False,
                "attended": {},
            },
        )
        person["confirmed"] |= row.status == RegistrationStatus.confirmed
        person["attended"][row.event_id] = frozenset(days.get(row.id, ()))
    return [
        eligibility.Candidate(
            person_id=person_id,
            name=data["name"],
            role=data["role"],
            confirmed=data["confirmed"],
            attended=data["attended"],
        )
        for person_id, data in people.items()
    ]


def overrides(template_id: int) -> dict[int, eligibility.Override]:
    return {
        d.person_id: eligibility.Override(decision=d.decision, reason=d.reason)
        for d in db.session.scalars(
            select(CertificateDecision).where(CertificateDecision.template_id == template_id)
        )
    }


def entries(template: CertificateTemplate) -> list[eligibility.Entry]:
    """Everyone registered, eligible or not, and why."""
    parts = parts_of(template)
    return eligibility.evaluate(
        template.kind,
        [eligibility.Part(event_id=part.id, days=event_days(part)) for part in parts],
        candidates(parts),
        min_share=template.min_share,
        roles=template.role_list,
        overrides=overrides(template.id),
    )


def template_for_event(event_id: int) -> CertificateTemplate | None:
    return db.session.scalar(
        select(CertificateTemplate)
        .where(CertificateTemplate.event_id == event_id)
        .options(selectinload(CertificateTemplate.images))
    )


def template_for_cycle(cycle_id: int) -> CertificateTemplate | None:
    return db.session.scalar(
        select(CertificateTemplate)
        .where(CertificateTemplate.cycle_id == cycle_id)
        .options(selectinload(CertificateTemplate.images))
    )


def cycle_by_number(series_code: str, number: int) -> Cycle | None:
    from lanet.events.models import Series

    return db.session.scalar(
        select(Cycle).join(Series).where(Series.code == series_code, Cycle.number == number)
    )


def certificates_of_template(template_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.template_id == template_id)
            .order_by(Certificate.holder_name, Certificate.id)
        )
    )


def certificates_of_person(person_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.person_id == person_id)
            .options(selectinload(Certificate.template))
            .order_by(Certificate.id)
        )
    )


def certificates_for_registration(registration: Registration) -> list[Certificate]:
    """The holder's certificates of this event and of the cycle the event is a part of."""
    subjects = [CertificateTemplate.event_id == registration.event_id]
    if registration.event.cycle_id is not None:
        subjects.append(CertificateTemplate.cycle_id == registration.event.cycle_id)
    from sqlalchemy import or_

    return list(
        db.session.scalars(
            select(Certificate)
            .join(CertificateTemplate)
            .where(Certificate.person_id == registration.person_id, or_(*subjects))
            .order_by(Certificate.id)
        )
    )


def by_code(code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def latest_run(template_id: int) -> CertificateRun | None:
    return db.session.scalar(
        select(CertificateRun)
        .where(CertificateRun.template_id == template_id)
        .order_by(CertificateRun.id.desc())
        .limit(1)
    )
