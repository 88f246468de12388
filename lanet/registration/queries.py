"""Reading registrations: the lookups the services share, and the organizers' filters,
totals and exports."""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lanet.core import tokens
from lanet.core.boundary import parse_int
from lanet.core.reads import read_rows
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.events.queries import CountryName
from lanet.extensions import db
from lanet.network.models import Country, Institution, Person
from lanet.registration.errors import RegistrationError
from lanet.registration.models import (
    Invitation,
    KeyedLink,
    Registration,
    RegistrationCount,
    RegistrationStatus,
)

# --- Lookups the services share --------------------------------------------------------------

_Linked = TypeVar("_Linked", bound=KeyedLink)


# Built once: an option object costs more to build than the identity-map hit it usually meets.
_WITH_COUNTRY = (joinedload(Event.country),)


def get_event(event_id: int) -> Event:
    # The country comes with the event: every email's context names it (one round trip less).
    event = db.session.get(Event, event_id, options=_WITH_COUNTRY)
    if event is None:
        raise RegistrationError(str(_l("This event does not exist.")))
    return event


def by_link(model: type[_Linked], token: str | None) -> _Linked | None:
    """The row a secret link opens, or None: looked up by the SHA-256 of the presented
    token (the database keeps no token), then checked against the key in constant time."""
    presented = tokens.presented_digest(token)
    if presented is None:
        return None
    row = db.session.scalar(
        select(model).where(
            or_(model.token_hash == presented, model.previous_token_hash == presented)
        )
    )
    if row is None or not row.opened_by(token or ""):
        return None
    return row


def registration_by_token(token: str) -> Registration:
    """The registration of a private link."""
    registration = by_link(Registration, token)
    if registration is None:
        raise RegistrationError(str(_l("This registration link is not valid.")))
    return registration


def invitation_by_token(token: str) -> Invitation:
    invitation = by_link(Invitation, token)
    if invitation is None:
        raise RegistrationError(str(_l("This invitation link is not valid.")))
    return invitation


def already_registered(person_id: int, event_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(Registration.id).where(
                Registration.person_id == person_id, Registration.event_id == event_id
            )
        )
    )


def registration_is_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if event.status != EventStatus.open:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    return not (event.registration_closes_at and now > event.registration_closes_at)


# --- Organizers' lists -----------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationFilter:
    status: str | None = None
    country: str | None = None
    institution_id: int | None = None
    # Part of a name or an email address.
    search: str | None = None

    @classmethod
    def from_args(cls, args) -> RegistrationFilter:
        """Unknown values are ignored: a filter never fails."""
        status = args.get("status") or None
        if status not in RegistrationStatus.__members__:
            status = None
        country = (args.get("country") or "").strip().upper() or None
        if country is not None and (len(country) != 2 or not country.isalpha()):
            country = None
        institution = (args.get("institution") or "").strip()
        search = " ".join((args.get("q") or "").split())[:100] or None
        return cls(status, country, parse_int(institution, minimum=1), search)


def registrations(event_id: int, filters: RegistrationFilter | None = None) -> list[Registration]:
    """Every registration of the event matching `filters`, in order of arrival, with person,
    institution and country (three statements however many)."""
    query = _matching(event_id, filters or RegistrationFilter()).options(
        selectinload(Registration.person).selectinload(Person.institution),
        selectinload(Registration.person).selectinload(Person.country),
    )
    return list(db.session.scalars(query.order_by(Registration.created_at, Registration.id)))


def registration_ids(event_id: int, ids: list[int]) -> set[int]:
    """Which of `ids` are registrations of this event."""
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Registration.id).where(
                Registration.event_id == event_id, Registration.id.in_(ids)
            )
        )
    )


def _matching(event_id: int, filters: RegistrationFilter):
    query = (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.event_id == event_id)
    )
    if filters.status:
        query = query.where(Registration.status == filters.status)
    if filters.country:
        query = query.where(Person.country_code == filters.country)
    if filters.institution_id:
        query = query.where(Person.institution_id == filters.institution_id)
    if filters.search:
        # Every word typed, found in the name or in the address, whatever its case.
        for word in filters.search.lower().split():
            pattern = f"%{word}%"
            full_name = func.lower(Person.first_name + " " + Person.last_name)
            query = query.where(
                or_(
                    full_name.like(pattern),
                    func.lower(func.coalesce(Person.email, "")).like(pattern),
                )
            )
    return query


# Institutions named in the totals: the ten with the most registrations.
TOP_INSTITUTIONS = 10


@dataclass(frozen=True)
class ChoiceInstitution:
    """An institution of the filter's list (the two fields the page reads)."""

    id: int
    name: str


def overview(event_id: int) -> tuple[dict[str, Counter], dict]:
    """The organizers' page heading: registrations of the event by status, by country and
    (the first ten) by institution, most first, ties by name; and the filter's choices (the
    countries and institutions of the event's people, by name). One statement whatever the
    event's size: the event's counts by (status, country, institution), kept by the
    database's triggers (`registration_counts`), named and added up here. Read as plain rows
    (`read_rows`: no autoflush), for the page, a read-only request."""
    by: dict[str, Counter] = {"status": Counter(), "country": Counter(), "institution": Counter()}
    countries: dict[str, CountryName] = {}
    institutions: dict[int, ChoiceInstitution] = {}
    for row in read_rows(_overview_statement(), {"event_id": event_id}):
        status, code, name_es, name_pt, name_en, institution_id, institution_name, number = row
        if not number:
            continue  # every registration of the group left it
        by["status"][status or "—"] += number
        by["country"][code or "—"] += number
        by["institution"][institution_name or "—"] += number
        # Each country and institution comes in several groups (one per status): named once.
        if code is not None and name_en is not None and code not in countries:
            countries[code] = CountryName(code, name_es, name_pt, name_en)
        if institution_id is not None and institution_id not in institutions:
            institutions[institution_id] = ChoiceInstitution(institution_id, institution_name)
    totals = {}
    for dimension, counter in by.items():
        pairs = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
        if dimension == "institution":
            pairs = pairs[:TOP_INSTITUTIONS]
        totals[dimension] = Counter(dict(pairs))
    choices = {
        "countries": sorted(countries.values(), key=lambda c: (c.name_en, c.code)),
        "institutions": sorted(institutions.values(), key=lambda i: (i.name, i.id)),
    }
    return totals, choices


@functools.cache
def _overview_statement():
    # Added up per key first (a key may have a few rows: count_triggers.py), then named.
    counts = (
        select(
            RegistrationCount.status,
            RegistrationCount.country_code,
            RegistrationCount.institution_id,
            func.sum(RegistrationCount.number).label("number"),
        )
        .where(RegistrationCount.event_id == bindparam("event_id", type_=Integer))
        .group_by(
            RegistrationCount.status,
            RegistrationCount.country_code,
            RegistrationCount.institution_id,
        )
        .subquery()
    )
    return (
        select(
            counts.c.status,
            counts.c.country_code,
            Country.name_es,
            Country.name_pt,
            Country.name_en,
            counts.c.institution_id,
            Institution.name,
            counts.c.number,
        )
        .outerjoin(Country, Country.code == counts.c.country_code)
        .outerjoin(Institution, Institution.id == counts.c.institution_id)
    )


def invitations(event_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.event_id == event_id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def invitation_state(invitation: Invitation) -> str:
    if invitation.accepted_at:
        return "registered"
    if invitation.declined_at:
        return "declined"
    if invitation.opened_at:
        return "opened"
    return "invited"


def open_events() -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.status == EventStatus.open)
            .order_by(Event.start_date, Event.id)
        )
    )


def institution_choices(country_code: str | None = None) -> list[Institution]:
    query = select(Institution).order_by(Institution.name)
    if country_code:
        query = query.where(
            (Institution.country_code == country_code) | Institution.country_code.is_(None)
        )
    return list(db.session.scalars(query))


# Country codes found to exist, remembered for the process: countries are reference data, added
# by the seed and never deleted (people, events, institutions and quotas refer to them). A code
# not found is asked again each time. Saves a form POST's statement (issue 16).
_KNOWN_COUNTRIES: set[str] = set()


def country_exists(code: str) -> bool:
    """Whether a country has this code (a form's choice checked without loading the list).
    What the registration writes is checked again by its own lookup (people.person_for)."""
    if code in _KNOWN_COUNTRIES:
        return True
    if len(code) > 2 or db.session.get(Country, code) is None:
        return False
    _KNOWN_COUNTRIES.add(code)
    return True


def institution_by_id(institution_id: int) -> Institution | None:
    return db.session.get(Institution, institution_id)


def countries() -> list[Country]:
    return list(db.session.scalars(select(Country).order_by(Country.name_en)))


EXPORT_HEADER = (
    "id",
    "status",
    "role",
    "first_name",
    "last_name",
    "email",
    "country",
    "institution",
    "position",
    "language",
    "quota_seat",
    "registered_at",
    "confirmed_at",
    "decline_reason",
)


def export_rows(event_id: int, filters: RegistrationFilter | None = None) -> list[tuple]:
    """The export's rows (columns of EXPORT_HEADER), in order of arrival, read as plain rows
    in one statement: building ORM objects for thousands of registrations, their people and
    institutions cost more than writing the file."""
    query = (
        _matching(event_id, filters or RegistrationFilter())
        .with_only_columns(
            Registration.id,
            Registration.status,
            Registration.role,
            Person.first_name,
            Person.last_name,
            Person.email,
            Person.country_code,
            Institution.name,
            Person.position,
            Person.language,
            Registration.seat_country_code,
            Registration.created_at,
            Registration.confirmed_at,
            Registration.decline_reason,
        )
        .outerjoin(Institution, Institution.id == Person.institution_id)
        .order_by(Registration.created_at, Registration.id)
    )
    return [
        (
            number,
            status,
            role,
            first_name,
            last_name,
            email or "",
            country or "",
            institution or "",
            position or "",
            language,
            seat or "",
            created.isoformat(timespec="seconds"),
            confirmed.isoformat(timespec="seconds") if confirmed else "",
            reason or "",
        )
        for (
            number,
            status,
            role,
            first_name,
            last_name,
            email,
            country,
            institution,
            position,
            language,
            seat,
            created,
            confirmed,
            reason,
        ) in db.session.execute(query)
    ]


_FORMULA_STARTS = ("=", "+", "-", "@")


def _safe_row(row: tuple) -> list:
    """Spreadsheet formula injection: a typed '=…' must stay text."""
    return [
        "'" + value if isinstance(value, str) and value[:1] in _FORMULA_STARTS else value
        for value in row
    ]


def export_csv(rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(_safe_row(row) for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(rows: list[tuple], title: str) -> bytes:
    """The rows as a spreadsheet, written in openpyxl's write-only mode (rows streamed to the
    file instead of a cell object each kept in memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Registrations")[:31])
    sheet.freeze_panes = "A2"
    sheet.append(list(EXPORT_HEADER))
    for row in rows:
        sheet.append(_safe_row(row))
    workbook.properties.title = title[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
