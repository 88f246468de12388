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
from sqlalchemy import func, literal, or_, select, union_all
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
    person and institution, and how many match: one statement (the count rides along as a
    window), whatever the event's size. A page past the end shows the last one."""
    matching = _matching(event_id, filters)
    total_column = func.count().over().label("total")

    def read(number: int) -> tuple[list[Registration], int]:
        rows = db.session.execute(
            matching.add_columns(total_column)
            .options(contains_eager(Registration.person).joinedload(Person.institution))
            .order_by(Registration.created_at, Registration.id)
            .limit(per_page)
            .offset((number - 1) * per_page)
        ).all()
        return [row[0] for row in rows], (rows[0].total if rows else 0)

    rows, total = read(max(page, 1))
    if not rows and page > 1:
        # Past the end (or the list shrank): count, then show the last page.
        total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
        page = max(1, -(-total // per_page))
        rows, total = read(page) if total else ([], 0)
    return RegistrationPage(rows, total, max(page, 1), per_page)


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
    counted by the database in one statement whatever the event's size. Most first, ties by
    name."""
    of_event = Registration.event_id == event_id
    count = func.count(Registration.id)
    by_person = (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Institution, Institution.id == Person.institution_id)
        .where(of_event)
    )
    statement = union_all(
        select(literal("status"), Registration.status, count)
        .where(of_event)
        .group_by(Registration.status),
        by_person.with_only_columns(literal("country"), Person.country_code, count).group_by(
            Person.country_code
        ),
        by_person.with_only_columns(literal("institution"), Institution.name, count).group_by(
            Institution.name
        ),
    )
    found: dict[str, list[tuple[str, int]]] = {"status": [], "country": [], "institution": []}
    for dimension, key, number in db.session.execute(statement):
        found[dimension].append((key or "—", number))
    result = {}
    for dimension, pairs in found.items():
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        if dimension == "institution":
            pairs = pairs[:TOP_INSTITUTIONS]
        result[dimension] = Counter(dict(pairs))
    return result


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
