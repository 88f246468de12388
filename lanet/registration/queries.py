"""Reading registrations: the lookups the services share, and the organizers' filters,
totals and exports."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from lanet.core import tokens
from lanet.core.boundary import parse_int
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.network.models import Country, Institution, Person
from lanet.registration.errors import RegistrationError
from lanet.registration.models import Invitation, KeyedLink, Registration, RegistrationStatus

# --- Lookups the services share --------------------------------------------------------------

_Linked = TypeVar("_Linked", bound=KeyedLink)


def get_event(event_id: int) -> Event:
    # The country comes with the event: every email's context names it (one round trip less).
    event = db.session.get(Event, event_id, options=[joinedload(Event.country)])
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


# Rows on one page of the organizers' list: an event of thousands is read a page at a time.
PAGE_SIZE = 50


@dataclass(frozen=True)
class RegistrationPage:
    """One page of the organizers' list (the shape `templates/staff/_pages.html` reads)."""

    rows: list[Registration]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def first(self) -> int:
        """The number of the page's first row (0 on an empty list)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)


def registrations_page(
    event_id: int, filters: RegistrationFilter, page: int = 1, per_page: int = PAGE_SIZE
) -> RegistrationPage:
    """One page of the registrations matching `filters`, in order of arrival, each with its
    person and institution: two statements (count, rows), whatever the event's size. A page
    past the end shows the last one."""
    matching = _matching(event_id, filters)
    total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        matching.options(
            contains_eager(Registration.person).joinedload(Person.institution),
        )
        .order_by(Registration.created_at, Registration.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return RegistrationPage(list(rows.unique()), total, page, per_page)


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


def totals(event_id: int) -> dict[str, Counter]:
    """Registrations of the event by status, by country and (the first ten) by institution,
    counted by the database: three statements, whatever the event's size. Most first, ties by
    name."""
    of_event = Registration.event_id == event_id
    count = func.count(Registration.id)
    status = db.session.execute(
        select(Registration.status, count)
        .where(of_event)
        .group_by(Registration.status)
        .order_by(count.desc(), Registration.status)
    )
    country = db.session.execute(
        select(Person.country_code, count)
        .join(Person, Person.id == Registration.person_id)
        .where(of_event)
        .group_by(Person.country_code)
        .order_by(count.desc(), Person.country_code)
    )
    institution = db.session.execute(
        select(Institution.name, count)
        .select_from(Registration)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Institution, Institution.id == Person.institution_id)
        .where(of_event)
        .group_by(Institution.name)
        .order_by(count.desc(), Institution.name)
        .limit(TOP_INSTITUTIONS)
    )
    return {
        "status": Counter({key: n for key, n in status}),
        "country": Counter({key or "—": n for key, n in country}),
        "institution": Counter({key or "—": n for key, n in institution}),
    }


def filter_choices(event_id: int) -> dict:
    people = select(Registration.person_id).where(Registration.event_id == event_id)
    countries = list(
        db.session.scalars(
            select(Country)
            .where(Country.code.in_(select(Person.country_code).where(Person.id.in_(people))))
            .order_by(Country.name_en)
        )
    )
    institutions = list(
        db.session.scalars(
            select(Institution)
            .where(Institution.id.in_(select(Person.institution_id).where(Person.id.in_(people))))
            .order_by(Institution.name)
        )
    )
    return {"countries": countries, "institutions": institutions}


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


def country_named(code: str) -> Country | None:
    return db.session.get(Country, code) if len(code) <= 2 else None


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


def export_rows(rows: list[Registration]) -> list[list]:
    return [
        [
            r.id,
            r.status,
            r.role,
            r.person.first_name,
            r.person.last_name,
            r.person.email or "",
            r.person.country_code or "",
            r.person.institution.name if r.person.institution else "",
            r.person.position or "",
            r.person.language,
            r.seat_country_code or "",
            r.created_at.isoformat(timespec="seconds"),
            r.confirmed_at.isoformat(timespec="seconds") if r.confirmed_at else "",
            r.decline_reason or "",
        ]
        for r in rows
    ]


def _safe_cell(value):
    """Spreadsheet formula injection: a typed '=…' must stay text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def export_csv(rows: list[Registration]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    for row in export_rows(rows):
        writer.writerow([_safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(rows: list[Registration], title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Registrations")[:31]
    sheet.append(list(EXPORT_HEADER))
    for row in export_rows(rows):
        sheet.append([_safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    workbook.properties.title = title[:200]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
