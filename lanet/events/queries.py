"""Reading events for the public listing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import extract, func, select
from sqlalchemy.orm import joinedload

from lanet.core.boundary import parse_int
from lanet.core.reads import read_rows
from lanet.core.types import utcnow
from lanet.events.models import Event, EventKind, EventStatus
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

    @property
    def empty(self) -> bool:
        return self.year is None and self.country is None and self.kind is None

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


@dataclass(frozen=True, slots=True)
class CountryName:
    """A country's code and names, as the list's cards and filters show them."""

    code: str
    name_es: str | None
    name_pt: str | None
    name_en: str

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_en


@dataclass(frozen=True, slots=True)
class EventCard:
    """What the public list shows of an event, in the page's language, read as plain rows:
    loading ORM objects (identity map, instance state, every column) was a third of the
    page's time, and each title, city and country name looked up in the template another."""

    id: int
    slug: str
    kind: str
    status: str
    title: str
    city: str | None
    start_date: date
    end_date: date
    date_precision: str
    timezone: str
    country: CountryName | None
    country_name: str | None


def translated_column(translations, language: str, fallback):
    """SQL for `(translations or {}).get(language) or fallback`, as Event.display_title reads
    it: the database picks the language, so the page parses no JSON."""
    return func.coalesce(func.nullif(translations[language].as_string(), ""), fallback)


@lru_cache(maxsize=8)
def _cards_statement(language: str):
    """Built once per language: the statement is the same for every unfiltered list."""
    return (
        select(
            Event.id,
            Event.slug,
            Event.kind,
            Event.status,
            translated_column(Event.title_translations, language, Event.title).label("title"),
            translated_column(Event.city_translations, language, Event.city).label("city"),
            Event.start_date,
            Event.end_date,
            Event.date_precision,
            Event.timezone,
            Country.code,
            Country.name_es,
            Country.name_pt,
            Country.name_en,
        )
        .outerjoin(Country, Country.code == Event.country_code)
        .where(Event.is_public.is_(True))
        .order_by(Event.start_date.desc(), Event.id)
    )


def public_event_cards(filters: EventFilter, language: str) -> list[EventCard]:
    """The public list's events matching `filters`, newest first, with their country: one
    statement, whatever the number of events."""
    countries: dict[str, tuple[CountryName, str]] = {}
    cards = []
    # Rows read by position: a Row's attribute by name cost as much as the rest together. The
    # first ten columns are the card's own, in EventCard's order; then the country's.
    for row in read_rows(_filtered(_cards_statement(language), filters)):
        code, name_es, name_pt, name_en = row[10:]
        country, country_name = None, None
        if code is not None:
            found = countries.get(code)
            if found is None:
                named = CountryName(code, name_es, name_pt, name_en)
                found = countries[code] = (named, named.name(language))
            country, country_name = found
        cards.append(EventCard(*row[:10], country, country_name))
    return cards


def _filtered(query, filters: EventFilter):
    if filters.year:
        query = query.where(extract("year", Event.start_date) == filters.year)
    if filters.country:
        query = query.where(Event.country_code == filters.country)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    return query


def public_events(filters: EventFilter) -> list[Event]:
    """The public events matching `filters` (the API's list), with their country."""
    query = (
        select(Event)
        .where(Event.is_public.is_(True))
        .options(joinedload(Event.country))
        .order_by(Event.start_date.desc(), Event.id)
    )
    return list(db.session.scalars(_filtered(query, filters)))


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date in the given IANA zone (UTC for a name this machine does not know)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(zone).date()


def is_past(event: Event | EventCard, now: datetime | None = None) -> bool:
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

    upcoming: list[Any]  # Event, or EventCard for the page
    past: list[Any]
    not_recorded: frozenset[int]


def split_by_date(events: Iterable[Event | EventCard], now: datetime | None = None) -> Listing:
    """`events` newest first (as `public_events` and `public_event_cards` give them) split by
    `is_past`."""
    now = now or utcnow()
    upcoming: list[Any] = []
    past: list[Any] = []
    for event in events:
        (past if is_past(event, now) else upcoming).append(event)
    upcoming.sort(key=lambda e: (e.start_date, e.id))
    not_recorded = frozenset(e.id for e in past if e.status not in SETTLED)
    return Listing(upcoming=upcoming, past=past, not_recorded=not_recorded)


def filter_choices(events: list[EventCard] | None = None) -> dict:
    """The years and countries of the public events, for the filters' choices. `events`:
    every public event's card (the unfiltered list), read from memory instead of two more
    statements."""
    if events is not None:
        countries_by_code = {e.country.code: e.country for e in events if e.country is not None}
        return {
            "years": sorted({e.start_date.year for e in events}, reverse=True),
            "countries": sorted(countries_by_code.values(), key=lambda c: (c.name_en, c.code)),
            "kinds": list(EventKind),
        }
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


def filter_options(
    choices: dict, filters: EventFilter, language: str, kind_labels: dict[str, str]
) -> dict[str, list[tuple[str, str, bool]]]:
    """`filter_choices` as the form prints them: (value, label, selected) for each option, in
    `language` (a lookup per option through Jinja cost more than the option's text)."""
    return {
        "years": [(str(year), str(year), filters.year == year) for year in choices["years"]],
        "countries": [
            (country.code, country.name(language), filters.country == country.code)
            for country in choices["countries"]
        ],
        "kinds": [
            (kind.value, kind_labels[kind.value], filters.kind == kind.value)
            for kind in choices["kinds"]
        ],
    }


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
