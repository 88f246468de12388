"""Reading events for the public listing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import extract, func, select
from sqlalchemy.orm import selectinload

from lanet.core.boundary import parse_int
from lanet.events.models import Event, EventKind, EventPartner, EventStatus
from lanet.extensions import db
from lanet.network.models import Country

CARRIED_OUT = (EventStatus.held,)


@dataclass(frozen=True)
class EventFilter:
    year: int | None = None
    country: str | None = None
    kind: str | None = None

    @classmethod
    def from_args(cls, args) -> EventFilter:
        """Unknown or malformed values are ignored rather than refused: this is a public filter."""
        year_text = (args.get("year") or "").strip()
        year = parse_int(year_text, minimum=1901, maximum=2999)
        country = (args.get("country") or "").strip().upper() or None
        if country is not None and (len(country) != 2 or not country.isalpha()):
            country = None
        kind = (args.get("kind") or "").strip() or None
        if kind is not None and kind not in EventKind.__members__:
            kind = None
        return cls(year=year, country=country, kind=kind)


def public_events(filters: EventFilter) -> list[Event]:
    query = (
        select(Event)
        .where(Event.is_public.is_(True))
        .options(
            selectinload(Event.country),
            selectinload(Event.partners).selectinload(EventPartner.institution),
        )
        .order_by(Event.start_date.desc(), Event.id)
    )
    if filters.year:
        query = query.where(extract("year", Event.start_date) == filters.year)
    if filters.country:
        query = query.where(Event.country_code == filters.country)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    return list(db.session.scalars(query))


def split_carried_out(events: list[Event]) -> tuple[list[Event], list[Event]]:
    carried_out = [e for e in events if e.status in CARRIED_OUT]
    planned = [e for e in events if e.status not in CARRIED_OUT]
    planned.sort(key=lambda e: (e.start_date, e.id))
    return carried_out, planned


def filter_choices() -> dict:
    years = sorted(
        {
            int(y)
            for y in db.session.scalars(
                select(extract("year", Event.start_date)).where(Event.is_public.is_(True))
            )
        },
        reverse=True,
    )
    countries = list(
        db.session.scalars(
            select(Country)
            .where(Country.code.in_(select(Event.country_code).where(Event.is_public.is_(True))))
            .order_by(Country.name_en)
        )
    )
    return {"years": years, "countries": countries, "kinds": list(EventKind)}


def listing_version(_view_args: dict) -> tuple:
    """What the event lists show changes with the events' count and last change."""
    return tuple(db.session.execute(select(func.count(Event.id), func.max(Event.updated_at))).one())


@dataclass(frozen=True)
class Availability:
    """Seats of one country's quota, or (country None) the seats open to every other country."""

    country_code: str | None
    seats: int | None
    taken: int

    @property
    def free(self) -> int | None:
        return None if self.seats is None else max(self.seats - self.taken, 0)


def availability(event: Event) -> list[Availability]:
    """Each quota country's seats, then the seats open to the countries without a quota (a
    quota country's people wait for their own seats, they do not take these)."""
    rows = [Availability(q.country_code, q.seats, q.seats_confirmed) for q in event.quotas]
    if event.capacity is None or not rows:
        return rows
    quota_seats = sum(q.seats for q in event.quotas)
    quota_taken = sum(q.seats_confirmed for q in event.quotas)
    open_seats = max(event.capacity - quota_seats, 0)
    rows.append(Availability(None, open_seats, max(event.seats_confirmed - quota_taken, 0)))
    return rows
