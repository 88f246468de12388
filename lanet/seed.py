"""Idempotent demo seeding: the Network's real events of 2012–2015 and synthetic people.

`seed_demo()` runs on an empty or an already seeded database alike. Every row is looked up
by its natural key first (country code, institution name and country, event slug, person
email, person × event, registration × day) and created only when missing. The report's
facts (countries, institutions, the description of events) are refreshed on every run;
what users may have changed since (registrations, agendas, an event's status or capacity)
is set only when the row is created.

The synthetic part is planned in memory from `random.Random(seed)` before the database is
touched (`lanet.demo_plan`), so the same seed always gives the same people, registrations
and attendance, whatever the database already holds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from lanet.accounts.models import User, UserRole
from lanet.accounts.passwords import DEMO_PASSWORD, hash_password
from lanet.agenda.models import AgendaItem, AgendaVersion
from lanet.attendance.models import Attendance
from lanet.demo_plan import (
    AGENDA_DAY_STARTS,
    AGENDA_DURATIONS,
    AGENDA_GAP,
    AGENDA_LUNCH,
    AGENDA_ROOM,
    OPEN_EVENT,
    OPEN_EVENT_CAPACITY,
    OPEN_EVENT_QUOTAS,
    OPEN_EVENT_REGISTRATION_CLOSES_AT,
    OPEN_EVENT_REGISTRATION_OPENS_AT,
    OPEN_EVENT_TIMEZONE,
    DemoPlan,
    date_range,
    plan_demo,
    utc_at,
)
from lanet.events.models import Cycle, Event, EventPartner, EventQuota, Series
from lanet.extensions import db
from lanet.network import demo_data as data
from lanet.network.models import Country, Institution, Person
from lanet.registration.models import Registration

# --- Writing to the database ------------------------------------------------------------------


def seed_demo(random_seed: int = 2014, *, accounts: bool = True) -> dict[str, int]:
    """Load the demo into the database and commit; safe to run again. Returns row counts.

    With `accounts=False` (what `flask seed demo` does unless LANET_DEV_PAGES is on) the demo
    users get no password: nobody can sign in with the published demo password.
    """
    plan = plan_demo(random_seed)
    session = db.session
    _seed_countries()
    institutions = _seed_institutions()
    cycles = _seed_series()
    events = _seed_events(cycles)
    session.flush()
    _seed_partners(events, institutions)
    people = _seed_people(plan, institutions)
    users = _seed_accounts(events, institutions, people, with_password=accounts)
    session.flush()
    registrations = _seed_registrations(plan, events, people, users)
    session.flush()
    _seed_attendance(plan, registrations)
    _seed_agendas(events, users.get("staff@lanet.example"))
    session.flush()
    _sync_seat_counters()
    session.commit()
    # The present: forthcoming events, created through the Secretariat's own services.
    from lanet.seed_forthcoming import seed_forthcoming

    seed_forthcoming()
    return seed_counts()


def seed_counts() -> dict[str, int]:
    models: dict[str, Any] = {
        "countries": Country,
        "institutions": Institution,
        "series": Series,
        "cycles": Cycle,
        "events": Event,
        "event_partners": EventPartner,
        "event_quotas": EventQuota,
        "people": Person,
        "users": User,
        "user_roles": UserRole,
        "registrations": Registration,
        "attendance": Attendance,
        "agenda_items": AgendaItem,
        "agenda_versions": AgendaVersion,
    }
    counts = {name: _count(select(func.count()).select_from(m)) for name, m in models.items()}
    counts["member_countries"] = _count(
        select(func.count()).select_from(Country).where(Country.membership == "member")
    )
    counts["confirmed_registrations"] = _count(
        select(func.count()).select_from(Registration).where(Registration.status == "confirmed")
    )
    return counts


def _count(statement: Any) -> int:
    return int(db.session.scalar(statement) or 0)


def _assign(obj: Any, **values: Any) -> None:
    """Set only what differs, so a second run leaves rows (and updated_at) untouched."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


def _seed_countries() -> None:
    existing = {c.code: c for c in db.session.scalars(select(Country))}
    for country in data.COUNTRIES:
        row = existing.get(country.code)
        if row is None:
            row = Country(code=country.code)
            db.session.add(row)
        _assign(
            row,
            name_es=country.name_es,
            name_pt=country.name_pt,
            name_en=country.name_en,
            membership=country.membership,
        )


class InstitutionIndex:
    """Institutions by (name, country) and by organization code."""

    def __init__(self, rows: list[Institution]) -> None:
        self.by_key = {(i.name, i.country_code): i for i in rows}
        self.by_code = {i.code: i for i in rows if i.code}

    def upsert(self, name: str, country: str | None, kind: str, code: str | None = None) -> None:
        row = (self.by_code.get(code) if code else None) or self.by_key.get((name, country))
        if row is None:
            row = Institution()
            db.session.add(row)
        values = {"name": name, "country_code": country, "kind": kind}
        if code:
            values["code"] = code
        _assign(row, **values)
        self.by_key[(name, country)] = row
        if code:
            self.by_code[code] = row

    def partner(self, reported_name: str) -> Institution:
        """An organization code or a partner named in the report, as its institution row."""
        if reported_name in self.by_code:
            return self.by_code[reported_name]
        partner = data.PARTNER_INSTITUTIONS[reported_name]
        return self.by_key[(partner.name, partner.country)]

    def named(self, name_or_code: str, country: str) -> Institution:
        return self.by_code.get(name_or_code) or self.by_key[(name_or_code, country)]


def _seed_institutions() -> InstitutionIndex:
    index = InstitutionIndex(list(db.session.scalars(select(Institution))))
    for org in data.ORGANIZATIONS:
        index.upsert(org.name, org.country, org.kind, code=org.code)
    for country, kinds in data.MEMBER_INSTITUTIONS.items():
        for kind, names in kinds.items():
            for name in names:
                index.upsert(name, country, kind)
    for partner in data.PARTNER_INSTITUTIONS.values():
        index.upsert(partner.name, partner.country, partner.kind)
    return index


def _seed_series() -> dict[tuple[str, int], Cycle]:
    cycles: dict[tuple[str, int], Cycle] = {}
    for series_data in data.SERIES:
        series = db.session.scalar(select(Series).where(Series.code == series_data.code))
        if series is None:
            series = Series(code=series_data.code)
            db.session.add(series)
        _assign(
            series,
            name_translations=dict(series_data.name),
            description=series_data.description,
            parts_per_cycle=series_data.parts_per_cycle,
        )
        existing = {c.number: c for c in series.cycles}
        for number in series_data.cycles:
            cycle = existing.get(number) or Cycle(series=series, number=number)
            db.session.add(cycle)
            cycles[(series_data.code, number)] = cycle
    return cycles


def _seed_events(cycles: dict[tuple[str, int], Cycle]) -> dict[str, Event]:
    events = {e.slug: e for e in db.session.scalars(select(Event))}
    for event_data in data.EVENTS:
        event = events.get(event_data.slug)
        if event is None:
            event = _new_event(event_data)
            db.session.add(event)
            events[event_data.slug] = event
        cycle = cycles[(event_data.series, event_data.cycle)] if event_data.series else None
        _assign(
            event,
            kind=event_data.kind,
            title=event_data.title,
            title_translations=dict(event_data.title_translations),
            audience=event_data.audience,
            audience_translations=dict(
                data.AUDIENCE_TRANSLATIONS.get(event_data.audience or "", {})
            ),
            city=event_data.city,
            city_translations=dict(data.CITY_TRANSLATIONS.get(event_data.city or "", {})),
            country_code=event_data.country,
            timezone=OPEN_EVENT_TIMEZONE if event_data.slug == OPEN_EVENT else event_data.timezone,
            start_date=event_data.start_date,
            end_date=event_data.end_date,
            date_precision=event_data.date_precision,
            note=event_data.note,
            languages=event_data.languages,
            cycle=cycle,
            part_number=event_data.part,
        )
    return events


def _new_event(event_data: data.EventData) -> Event:
    """A new event row with the state a user may later change (status, capacity, quotas)."""
    event = Event(slug=event_data.slug, status=event_data.status, seats_confirmed=0)
    if event_data.slug == OPEN_EVENT:
        event.status = "closed"
        event.capacity = OPEN_EVENT_CAPACITY
        event.registration_opens_at = OPEN_EVENT_REGISTRATION_OPENS_AT
        event.registration_closes_at = OPEN_EVENT_REGISTRATION_CLOSES_AT
        event.quotas = [
            EventQuota(country_code=country, seats=seats, seats_confirmed=0)
            for country, seats in OPEN_EVENT_QUOTAS.items()
        ]
    return event


def _seed_partners(events: dict[str, Event], institutions: InstitutionIndex) -> None:
    existing = {
        (p.event_id, p.institution_id, p.role) for p in db.session.scalars(select(EventPartner))
    }
    for event_data in data.EVENTS:
        event = events[event_data.slug]
        for role, names in (
            ("organizer", event_data.organizers),
            ("collaborator", event_data.collaborators),
            ("supporter", event_data.supporters),
            ("funder", event_data.funders),
        ):
            for name in names:
                institution = institutions.partner(name)
                if (event.id, institution.id, role) not in existing:
                    db.session.add(EventPartner(event=event, institution=institution, role=role))
                    existing.add((event.id, institution.id, role))


def _seed_people(plan: DemoPlan, institutions: InstitutionIndex) -> dict[str, Person]:
    people = {p.email: p for p in db.session.scalars(select(Person)) if p.email}
    for spec in plan.people:
        if spec.email in people:
            continue
        person = Person(
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=spec.email,
            country_code=spec.country,
            institution=institutions.named(spec.institution, spec.country),
            position=spec.position,
            language=spec.language,
            gender=spec.gender,
            consent_data_processing_at=plan.consent_at.get(spec.email),
            consent_contact=spec.consent_contact,
        )
        db.session.add(person)
        people[spec.email] = person
    return people


def _seed_accounts(
    events: dict[str, Event],
    institutions: InstitutionIndex,
    people: dict[str, Person],
    *,
    with_password: bool = True,
) -> dict[str, User]:
    users = {u.email: u for u in db.session.scalars(select(User))}
    for account in data.DEMO_ACCOUNTS:
        person = people.get(account.email)
        if person is None:
            person = Person(
                first_name=account.first_name,
                last_name=account.last_name,
                email=account.email,
                country_code=account.country,
                institution=institutions.named(account.institution, account.country),
                position=account.position,
                language=account.language,
                gender=account.gender,
            )
            db.session.add(person)
            people[account.email] = person
        user = users.get(account.email)
        if user is None:
            user = User(email=account.email, person=person)
            db.session.add(user)
            users[account.email] = user
        if user.password_hash is None and with_password:
            # Hashed once; Argon2 salts differ per run, so an existing hash is never replaced.
            user.password_hash = hash_password(DEMO_PASSWORD)
        held = {(r.role, r.event_id, r.country_code) for r in user.roles}
        for role, scope in account.roles:
            event = events[scope] if role == "organizer" and scope else None
            country = scope if role == "focal_point" else None
            if (role, event.id if event else None, country) not in held:
                user.roles.append(
                    UserRole(role=role, event_id=event.id if event else None, country_code=country)
                )
    return users


def _seed_registrations(
    plan: DemoPlan,
    events: dict[str, Event],
    people: dict[str, Person],
    users: dict[str, User],
) -> dict[tuple[str, str], Registration]:
    slugs = {e.id: slug for slug, e in events.items()}
    emails = {p.id: email for email, p in people.items()}
    registrations = {
        (emails[r.person_id], slugs[r.event_id]): r
        for r in db.session.scalars(select(Registration))
        if r.person_id in emails and r.event_id in slugs
    }
    for spec in plan.registrations:
        if (spec.email, spec.slug) in registrations:
            continue
        nominator = users.get(spec.nominated_by) if spec.nominated_by else None
        registration = Registration(
            person=people[spec.email],
            event=events[spec.slug],
            role=spec.role,
            status=spec.status,
            seat_country_code=spec.seat_country,
            nominated_by_id=nominator.id if nominator else None,
            created_at=spec.created_at,
            updated_at=spec.updated_at,
            confirmed_at=spec.confirmed_at,
            cancelled_at=spec.cancelled_at,
            waitlisted_at=spec.waitlisted_at,
        )
        # The private link's nonce is new for every registration (set by the constructor):
        # the demo's links are as unguessable as real ones.
        db.session.add(registration)
        registrations[(spec.email, spec.slug)] = registration
    return registrations


def _seed_attendance(plan: DemoPlan, registrations: dict[tuple[str, str], Registration]) -> None:
    existing = {(a.registration_id, a.day) for a in db.session.scalars(select(Attendance))}
    for spec in plan.registrations:
        registration = registrations[(spec.email, spec.slug)]
        for day in spec.attendance:
            if (registration.id, day.day) in existing:
                continue
            db.session.add(
                Attendance(
                    registration_id=registration.id,
                    day=day.day,
                    checked_in_at=day.checked_in_at,
                    method=day.method,
                )
            )
            existing.add((registration.id, day.day))


def agenda_schedule(
    event: data.EventData,
) -> list[tuple[data.AgendaEntryData, datetime, datetime]]:
    """The report's agenda laid out over the event's days, in local time, returned in UTC."""
    if not event.agenda:
        return []
    tz = ZoneInfo(event.timezone)
    days = date_range(event.start_date, event.end_date)
    by_day: dict[int, list[data.AgendaEntryData]] = defaultdict(list)
    for index, entry in enumerate(event.agenda):
        by_day[index * len(days) // len(event.agenda)].append(entry)
    schedule = []
    for day_index, entries in sorted(by_day.items()):
        day = days[day_index]
        cursor = datetime.combine(day, AGENDA_DAY_STARTS, tz)
        lunch_from = datetime.combine(day, AGENDA_LUNCH[0], tz)
        for entry in entries:
            if cursor >= lunch_from:
                cursor = max(cursor, datetime.combine(day, AGENDA_LUNCH[1], tz))
                lunch_from = datetime.combine(day, time(23, 59), tz)
            ends = cursor + AGENDA_DURATIONS[entry.kind]
            schedule.append((entry, cursor.astimezone(UTC), ends.astimezone(UTC)))
            cursor = ends + AGENDA_GAP
    return schedule


def _seed_agendas(events: dict[str, Event], publisher: User | None) -> None:
    """A draft from the report's agenda, published once as version 1."""
    with_items = set(db.session.scalars(select(AgendaItem.event_id).distinct()))
    with_versions = set(db.session.scalars(select(AgendaVersion.event_id).distinct()))
    for event_data in data.EVENTS:
        event = events[event_data.slug]
        if not event_data.agenda or event.id in with_items:
            continue
        items = [
            AgendaItem(
                event_id=event.id,
                kind=entry.kind,
                starts_at=starts_at,
                ends_at=ends_at,
                title=entry.title_es,
                room=entry.room or AGENDA_ROOM,
            )
            for entry, starts_at, ends_at in agenda_schedule(event_data)
        ]
        db.session.add_all(items)
        db.session.flush()
        if event.id in with_versions:
            continue
        db.session.add(
            AgendaVersion(
                event_id=event.id,
                version=1,
                items=[_agenda_item_json(item) for item in items],
                changes=[],
                published_at=utc_at(event_data.start_date - timedelta(days=7), 12),
                published_by_id=publisher.id if publisher else None,
            )
        )
        event.agenda_version = max(event.agenda_version or 0, 1)


def _agenda_item_json(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "starts_at": item.starts_at.isoformat(),
        "ends_at": item.ends_at.isoformat(),
        "room": item.room,
        "description": item.description,
        "speakers": [],
    }


def _sync_seat_counters() -> None:
    """Seat counters equal the confirmed registrations (and, per quota, those holding its seat)."""
    confirmed = Registration.status == "confirmed"
    per_event = dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(confirmed)
            .group_by(Registration.event_id)
        ).all()
    )
    per_quota = {
        (event_id, country): count
        for event_id, country, count in db.session.execute(
            select(Registration.event_id, Registration.seat_country_code, func.count())
            .where(confirmed, Registration.seat_country_code.is_not(None))
            .group_by(Registration.event_id, Registration.seat_country_code)
        )
    }
    for event in db.session.scalars(select(Event)):
        _assign(event, seats_confirmed=per_event.get(event.id, 0))
    for quota in db.session.scalars(select(EventQuota)):
        _assign(quota, seats_confirmed=per_quota.get((quota.event_id, quota.country_code), 0))


# --- `flask --app wsgi seed demo` ------------------------------------------------------------

seed_cli = AppGroup("seed", help="Load data into the database.")


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Load the Network's countries, organizations, 2012–2015 events and demo participants."""
    demo_accounts = bool(current_app.config["DEV_PAGES"])
    counts = seed_demo(accounts=demo_accounts)
    for name, count in counts.items():
        click.echo(f"{name}: {count}")
    if not demo_accounts:
        click.echo(
            "demo accounts are given no password (LANET_DEV_PAGES is off; one set before is "
            "kept); create the first staff account with: flask --app wsgi users create-staff EMAIL"
        )
