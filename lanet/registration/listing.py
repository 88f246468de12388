"""The organizers' registrations page of an event: one page of rows and how many match.

The rows are read as plain tuples of the columns the page shows (no ORM objects: building
50 registrations, their people and institutions cost more than the page's query), by a
statement built once per shape of filter (which filters are set, how many words searched)
with every value a bound parameter, so neither the statement nor its cache key is rebuilt
per request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, func, literal_column, or_, select, true

from lanet.core.reads import read_rows
from lanet.extensions import db
from lanet.network.models import Institution, Person
from lanet.registration.models import Registration
from lanet.registration.queries import RegistrationFilter

# Rows on one page of the organizers' list: an event of thousands is read a page at a time.
PAGE_SIZE = 50


class PageRow(NamedTuple):
    """One registration as the page shows it."""

    id: int
    status: str
    role: str
    seat_country_code: str | None
    offer_expires_at: datetime | None
    decline_reason: str | None
    created_at: datetime
    name: str  # Person.full_name
    email: str | None
    country_code: str | None
    position: str | None
    institution: str | None


@dataclass(frozen=True)
class RegistrationPage:
    """One page of the organizers' list (the shape `templates/staff/_pages.html` reads)."""

    rows: list[PageRow]
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
    event_id: int,
    filters: RegistrationFilter,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    known_total: int | None = None,
) -> RegistrationPage:
    """One page of the registrations matching `filters`, in order of arrival, and how many
    match: one statement whatever the event's size. `known_total`: how many match when the
    caller has counted them already (the unfiltered list: the sum of the status totals); the
    page's 50 registrations are then picked from the event's registrations alone (through
    the index on (event_id, created_at, id)) before their people are joined. Else the count
    rides along as a window. A page past the end shows the last one."""
    words = filters.search.lower().split() if filters.search else []
    values = {
        "event_id": event_id,
        "status": filters.status,
        "country": filters.country,
        "institution_id": filters.institution_id,
        **{f"word_{n}": f"%{word}%" for n, word in enumerate(words)},
    }

    def read(number: int, counted: bool) -> tuple[list[PageRow], int]:
        shape = (
            db.session.get_bind().dialect.name == "postgresql",
            counted,
            filters.status is not None,
            filters.country is not None,
            filters.institution_id is not None,
            len(words),
        )
        # Plain rows from the session's connection: the ORM's execution layer adds nothing
        # to a statement of columns (~0.1 ms a statement).
        result = read_rows(
            _page_statement(*shape),
            {**values, "limit": per_page, "offset": (number - 1) * per_page},
        )
        rows: list[PageRow] = []
        total = known_total or 0
        for row in result:
            if not counted:
                total = row[-1]
            first, last = row[7], row[8]
            rows.append(PageRow(*row[:7], f"{first} {last}".strip(), *row[9:13]))
        return rows, total

    page = max(page, 1)
    if known_total is not None:
        # Past the end: the last page, without a statement to find it.
        page = min(page, max(1, -(-known_total // per_page)))
        rows, total = read(page, True) if known_total else ([], 0)
        return RegistrationPage(rows, total, page, per_page)
    rows, total = read(page, False)
    if not rows and page > 1:
        # Past the end (or the list shrank): count, then show the last page.
        matching = _matching_ids(*_shape_of(filters, len(words)))
        total = db.session.scalar(select(func.count()).select_from(matching.subquery()), values)
        total = total or 0
        page = max(1, -(-total // per_page))
        rows, total = read(page, False) if total else ([], 0)
    return RegistrationPage(rows, total, page, per_page)


def _shape_of(filters: RegistrationFilter, words: int) -> tuple[bool, bool, bool, int]:
    return (
        filters.status is not None,
        filters.country is not None,
        filters.institution_id is not None,
        words,
    )


def _matching_ids(status: bool, country: bool, institution: bool, words: int):
    """The event's registrations matching the filters (their id and order), every value a
    bound parameter: the same WHERE as `queries._matching`."""
    query = select(Registration.id, Registration.created_at).where(
        Registration.event_id == bindparam("event_id", type_=Integer)
    )
    if country or institution or words:
        # Only a filter on the person joins people: unfiltered, the page's rows come from the
        # index on (event_id, created_at, id) before any join.
        query = query.join(Person, Person.id == Registration.person_id)
    if status:
        query = query.where(Registration.status == bindparam("status"))
    if country:
        query = query.where(Person.country_code == bindparam("country"))
    if institution:
        query = query.where(Person.institution_id == bindparam("institution_id", type_=Integer))
    full_name = func.lower(Person.first_name + " " + Person.last_name)
    email = func.lower(func.coalesce(Person.email, ""))
    for number in range(words):
        # Every word typed, found in the name or in the address, whatever its case.
        word = bindparam(f"word_{number}")
        query = query.where(or_(full_name.like(word), email.like(word)))
    return query


@functools.cache
def _page_statement(
    lateral: bool, counted: bool, status: bool, country: bool, institution: bool, words: int
):
    """The page's statement for one shape of filter: the page's registrations picked first
    (ordered, limited; with the number matching as a window when not `counted`), then their
    people and institutions joined for those rows only (`lateral`: on PostgreSQL, row by
    row; SQLite has no LATERAL, and its planner looks each picked row up by key anyway)."""
    picked = _matching_ids(status, country, institution, words)
    if not counted:
        picked = picked.add_columns(func.count().over().label("total"))
    picked = (
        picked.order_by(Registration.created_at, Registration.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("picked")
    )
    columns = (
        Registration.id,
        Registration.status,
        Registration.role,
        Registration.seat_country_code,
        Registration.offer_expires_at,
        Registration.decline_reason,
        Registration.created_at,
        Person.first_name,
        Person.last_name,
        Person.email,
        Person.country_code,
        Person.position,
        Institution.name,
    )
    if not lateral:
        return _joined(picked, columns, counted)
    # Each picked registration's row is read through primary keys, one row at a time. Left
    # to itself the planner hashes the 50 picked ids against the whole registrations (or
    # people) table, a scan of all 5,000 that took 4x the page's execution time; the OFFSET
    # keeps this lateral subquery from being merged into a plain join, which would let it.
    row = (
        select(*columns)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Institution, Institution.id == Person.institution_id)
        .where(Registration.id == picked.c.id)
        .offset(literal_column("0"))
        .lateral("row")
    )
    shown = list(row.c)
    if not counted:
        shown.append(picked.c.total)
    return (
        select(*shown)
        .select_from(picked)
        .join(row, true())
        .order_by(picked.c.created_at, picked.c.id)
    )


def _joined(picked, columns: tuple, counted: bool):
    """The picked registrations joined to their rows, people and institutions."""
    if not counted:
        columns = (*columns, picked.c.total)
    return (
        select(*columns)
        .select_from(picked)
        .join(Registration, Registration.id == picked.c.id)
        .join(Person, Person.id == Registration.person_id)
        .outerjoin(Institution, Institution.id == Person.institution_id)
        .order_by(picked.c.created_at, picked.c.id)
    )
