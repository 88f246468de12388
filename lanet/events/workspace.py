"""Reading for the events workspace: which events a user sees, filtered, with their numbers
and the next thing to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import selectinload

from lanet.accounts.models import User
from lanet.accounts.permissions import focal_point_countries, is_staff, organized_event_ids
from lanet.core.boundary import parse_int
from lanet.core.signals import collect_counts
from lanet.core.types import utcnow
from lanet.events.lifecycle import has_started
from lanet.events.models import Cycle, Event, EventKind, EventQuota, EventStatus, Series
from lanet.extensions import db


@dataclass(frozen=True)
class WorkspaceFilter:
    q: str = ""
    year: int | None = None
    kind: str | None = None
    status: str | None = None
    country: str | None = None

    @classmethod
    def from_args(cls, args) -> WorkspaceFilter:
        """Unknown values are ignored: a filter narrows, it never fails."""
        year_text = (args.get("year") or "").strip()
        year = parse_int(year_text, minimum=1901, maximum=2999)
        kind = args.get("kind") if args.get("kind") in EventKind.__members__ else None
        status = args.get("status") if args.get("status") in EventStatus.__members__ else None
        country = (args.get("country") or "").strip().upper()
        country = country if len(country) == 2 and country.isalpha() else None
        return cls(
            q=(args.get("q") or "").strip()[:100],
            year=year,
            kind=kind,
            status=status,
            country=country,
        )


@dataclass
class Row:
    event: Event
    counts: dict[str, int] = field(default_factory=dict)
    next_step: str = ""
    step_endpoint: str | None = None


def visible_events(user: User, filters: WorkspaceFilter) -> list[Event]:
    query = select(Event).options(
        selectinload(Event.country),
        selectinload(Event.quotas),
        selectinload(Event.cycle).selectinload(Cycle.series),
    )
    if not is_staff(user):
        organized = organized_event_ids(user)
        countries = focal_point_countries(user)
        scope = [Event.id.in_(organized)] if organized else []
        if countries:
            # Events open to their country: forthcoming public events, and any with its quota.
            scope.append(
                (Event.is_public.is_(True))
                & Event.status.in_((EventStatus.planned, EventStatus.open, EventStatus.closed))
                & (Event.end_date >= date.today())
            )
            scope.append(
                Event.id.in_(
                    select(EventQuota.event_id).where(EventQuota.country_code.in_(countries))
                )
            )
        if not scope:
            return []
        query = query.where(or_(*scope))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(
            or_(func.lower(Event.title).like(pattern), func.lower(Event.slug).like(pattern))
        )
    if filters.year:
        query = query.where(extract("year", Event.start_date) == filters.year)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.status:
        query = query.where(Event.status == filters.status)
    if filters.country:
        query = query.where(Event.country_code == filters.country)
    return list(db.session.scalars(query.order_by(Event.start_date.desc(), Event.id)))


def rows(events: list[Event], user: User) -> list[Row]:
    counts = collect_counts([e.id for e in events])
    now = utcnow()
    result = []
    for event in events:
        row = Row(event=event, counts=counts.get(event.id, {}))
        row.next_step, row.step_endpoint = next_step(event, row.counts, now)
        result.append(row)
    return result


def next_step(event: Event, counts: dict[str, int], now) -> tuple[str, str | None]:
    """The next thing to do, in words, and the page where it is done."""
    pending = counts.get("pending", 0)
    started = has_started(event, now)
    if event.status == EventStatus.cancelled:
        return "", None
    if event.status == EventStatus.held:
        return "", None
    if pending:
        return str(_l("Decide on %(n)s pending registrations", n=pending)), "registration"
    if started:
        if event.end_date < now.date():
            return str(_l("Mark it as held")), "status"
        return str(_l("Check participants in")), "check_in"
    if event.status == EventStatus.planned:
        if event.capacity is None:
            return str(_l("Set the capacity and quotas")), "edit"
        if event.registration_opens_at and event.registration_opens_at > now:
            return str(_l("Registration opens by itself on its date")), None
        return str(_l("Open registration")), "status"
    if not event.agenda_version:
        return str(_l("Publish the agenda")), "agenda"
    if event.status == EventStatus.open:
        return str(_l("Follow the registrations")), "registration"
    return str(_l("Prepare check-in")), "check_in"


def filter_choices() -> dict:
    years = sorted(
        {int(y) for y in db.session.scalars(select(extract("year", Event.start_date)).distinct())},
        reverse=True,
    )
    return {"years": years, "kinds": list(EventKind), "statuses": list(EventStatus)}


def all_series() -> list[Series]:
    return list(
        db.session.scalars(
            select(Series).options(selectinload(Series.cycles)).order_by(Series.code)
        )
    )


def series_organized_by(user: User) -> set[int]:
    """Series in which the user organizes at least one event: they may add events there."""
    organized = organized_event_ids(user)
    if not organized:
        return set()
    return set(
        db.session.scalars(
            select(Cycle.series_id)
            .join(Event, Event.cycle_id == Cycle.id)
            .where(Event.id.in_(organized))
            .distinct()
        )
    )


def may_create(user: User, cycle_id: int | None = None) -> bool:
    """Staff create any event; organizers create parts inside a series they organize."""
    if is_staff(user):
        return True
    series_ids = series_organized_by(user)
    if not series_ids:
        return False
    if cycle_id is None:
        return True
    cycle = db.session.get(Cycle, cycle_id) if 0 < cycle_id < 2**31 else None
    return cycle is not None and cycle.series_id in series_ids
