"""Reading events for the public listing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import extract, func, select
from sqlalchemy.orm import selectinload

from lanet.core.boundary import parse_int
from lanet.core.types import utcnow
from lanet.events.models import Event, EventKind, EventPartner, EventStatus
from lanet.extensions import db
from lanet.network.models import Country

# Statuses that say what became of a past event; any other (planned, open, closed) on a past
# event means nobody recorded whether it took place.
SETTLED = (EventStatus.held, EventStatus.cancelled)


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


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date in the given IANA zone (UTC for a name this machine does not know)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(zone).date()


def is_past(event: Event, now: datetime | None = None) -> bool:
    """An event is upcoming through its last day in its own time zone (DESIGN rule 1), past
    from the next local midnight on, whatever its status; one recorded as held is past."""
    if event.status == EventStatus.held:
        return True
    return event.end_date < local_today(event.timezone, now)


@dataclass(frozen=True)
class Listing:
    """The public list split by date: upcoming soonest first, past latest first.
    `not_recorded` holds the ids of past events whose status is neither held nor cancelled
    (the 2014 report's plans for 2015, registration closed and never marked held)."""

    upcoming: list[Event]
    past: list[Event]
    not_recorded: frozenset[int]


def split_by_date(events: Iterable[Event], now: datetime | None = None) -> Listing:
    """`events` newest first (as `public_events` gives them) split by `is_past`."""
    now = now or utcnow()
    upcoming: list[Event] = []
    past: list[Event] = []
    for event in events:
        (past if is_past(event, now) else upcoming).append(event)
    upcoming.sort(key=lambda e: (e.start_date, e.id))
    not_recorded = frozenset(e.id for e in past if e.status not in SETTLED)
    return Listing(upcoming=upcoming, past=past, not_recorded=not_recorded)


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


def listing_version(_view_args: dict, now: datetime | None = None) -> tuple:
    """What the event lists show changes with the events' count and last change, and with the
    date: an event turns past at a midnight of its time zone, and every zone's midnight falls
    on a quarter hour of UTC, so a page stored before that quarter hour is not served after."""
    now = now or utcnow()
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    counts = db.session.execute(select(func.count(Event.id), func.max(Event.updated_at))).one()
    return (*counts, quarter.isoformat())


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
