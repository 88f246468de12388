"""Checking what a person or an API client asks an event to be, before anything is written.

Every problem is collected with the name of the field at fault, so a form shows all of them at
once and the API answers one 422 naming every field. The same checks serve the pages, the API,
the CLI and the demo loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _
from sqlalchemy import select

from lanet.events.models import AttendanceMode, Cycle, Event, EventKind
from lanet.extensions import db
from lanet.network.models import LANGUAGES, Country, Institution

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CAPACITY = 100_000
MAX_DAYS = 366


class EventInvalid(Exception):
    """One or more fields are not acceptable; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    @property
    def field(self) -> str:
        return next(iter(self.errors))

    @property
    def message(self) -> str:
        return next(iter(self.errors.values()))


# Every field of EventInput that a page or an API client may set, in one place: the API
# copies these from a request body (`lanet/api/manage_events.py`, which names cycle_id and
# part_number "series"/"cycle" and "part"), and `editing.snapshot` records each in the audit
# log under the key `audited_as` gives it, so no field can be editable without being audited.
EDITABLE_FIELDS = (
    "kind",
    "slug",
    "title",
    "title_translations",
    "description_translations",
    "audience_translations",
    "attendance_mode",
    "venue",
    "city",
    "country_code",
    "online_url",
    "timezone",
    "start_date",
    "end_date",
    "start_time",
    "end_time",
    "capacity",
    "quotas",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
    "languages",
    "is_public",
    "supporters",
    "cycle_id",
    "part_number",
)
# Fields stored under another name: the times of day become the event's UTC instants.
_STORED_AS = {"start_time": "starts_at", "end_time": "ends_at"}


def audited_as(name: str) -> str:
    """The audit log's key for an editable field: the event's column (or `quotas`,
    `supporters`, which `editing.snapshot` keeps as their own keys)."""
    return _STORED_AS.get(name, name)


@dataclass
class EventInput:
    """Everything an event can be given; local dates and times in the event's time zone."""

    kind: str
    title: str
    timezone: str
    start_date: date
    end_date: date
    title_translations: dict[str, str] = field(default_factory=dict)
    description_translations: dict[str, str] = field(default_factory=dict)
    audience_translations: dict[str, str] = field(default_factory=dict)
    slug: str | None = None
    attendance_mode: str = AttendanceMode.in_person
    venue: str | None = None
    city: str | None = None
    country_code: str | None = None
    online_url: str | None = None
    # Times of day, for short events; both or neither.
    start_time: time | None = None
    end_time: time | None = None
    capacity: int | None = None
    quotas: dict[str, int] = field(default_factory=dict)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    requires_approval: bool = False
    languages: list[str] = field(default_factory=lambda: ["es"])
    is_public: bool = True
    supporters: list[int] = field(default_factory=list)
    cycle_id: int | None = None
    part_number: int | None = None

    @classmethod
    def from_event(cls, event: Event) -> EventInput:
        zone = ZoneInfo(event.timezone)
        timed = event.starts_at is not None and event.ends_at is not None
        return cls(
            kind=event.kind,
            title=event.title,
            timezone=event.timezone,
            start_date=event.start_date,
            end_date=event.end_date,
            title_translations=dict(event.title_translations or {}),
            description_translations=dict(event.description_translations or {}),
            audience_translations=dict(event.audience_translations or {}),
            slug=event.slug,
            attendance_mode=event.attendance_mode or AttendanceMode.in_person,
            venue=event.venue,
            city=event.city,
            country_code=event.country_code,
            online_url=event.online_url,
            start_time=event.starts_at.astimezone(zone).time() if timed else None,
            end_time=event.ends_at.astimezone(zone).time() if timed else None,
            capacity=event.capacity,
            quotas={q.country_code: q.seats for q in event.quotas},
            registration_opens_at=event.registration_opens_at,
            registration_closes_at=event.registration_closes_at,
            requires_approval=event.requires_approval,
            languages=event.language_list,
            is_public=event.is_public,
            supporters=[p.institution_id for p in event.partners if p.role == "supporter"],
            cycle_id=event.cycle_id,
            part_number=event.part_number,
        )


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str | None) -> bool:
    return bool(name) and name in known_timezones()


def proposed_timezone(country_code: str | None) -> str | None:
    """The time zone of the country's capital region (CLDR's first zone for the territory)."""
    if not country_code:
        return None
    from babel.core import get_global

    zones = get_global("territory_zones").get(country_code.upper()) or []
    for zone in zones:
        if valid_timezone(zone) and not zone.startswith("Etc/"):
            return zone
    return None


def event_start_instant(start_date: date, start_time: time | None, timezone: str) -> datetime:
    """When the event begins, in UTC: its start time, or the start of its first local day."""
    zone = ZoneInfo(timezone)
    return datetime.combine(start_date, start_time or time(0, 0), zone).astimezone(UTC)


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] if value else None


def _translations(values: dict[str, str] | None, limit: int) -> dict[str, str]:
    cleaned = {}
    for language, text in (values or {}).items():
        if language in LANGUAGES and (text or "").strip():
            cleaned[language] = text.strip()[:limit]
    return cleaned


def check(data: EventInput, event: Event | None = None) -> dict[str, Any]:
    """The column values for `data`, or EventInvalid naming every field at fault.

    `event` is the event being edited (None when creating): its confirmed seats bound what its
    capacity and quotas may become.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    if data.kind not in EventKind.__members__:
        errors["kind"] = _("Choose a kind of event.")
    values["kind"] = data.kind

    translations = _translations(data.title_translations, 300)
    title = (data.title or "").strip() or translations.get("en") or translations.get("es") or ""
    if not title:
        errors["title"] = _("Give the event a title.")
    elif len(title) > 300:
        errors["title"] = _("A title has at most 300 characters.")
    values["title"] = title[:300]
    values["title_translations"] = translations
    values["description_translations"] = _translations(data.description_translations, 20_000)
    values["audience_translations"] = _translations(data.audience_translations, 2_000)
    values["description"] = _first(values["description_translations"])
    values["audience"] = _first(values["audience_translations"])

    slug = (data.slug or "").strip().lower() if data.slug is not None else None
    if event is None or (slug and slug != event.slug):
        if not slug or not SLUG_PATTERN.match(slug) or len(slug) > 80 or len(slug) < 3:
            errors["slug"] = _(
                "Use 3 to 80 lower-case letters, digits and single hyphens for the address."
            )
        elif db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
            errors["slug"] = _("Another event already has this address.")
        values["slug"] = slug

    if data.attendance_mode not in AttendanceMode.__members__:
        errors["attendance_mode"] = _("Choose in person, online or hybrid.")
    values["attendance_mode"] = data.attendance_mode
    values["venue"] = _text(data.venue, 300)
    values["city"] = _text(data.city, 120)
    online_url = _text(data.online_url, 1000)
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(online_url) > 500:
            errors["online_url"] = _("Give the join link as an https:// address.")
    if data.attendance_mode == AttendanceMode.in_person:
        online_url = None
    values["online_url"] = online_url

    country = (data.country_code or "").strip().upper() or None
    if country and (len(country) != 2 or db.session.get(Country, country) is None):
        errors["country_code"] = _("There is no country with this code.")
    values["country_code"] = country

    if not valid_timezone(data.timezone):
        errors["timezone"] = _("Choose a time zone from the list (e.g. America/Lima).")
    values["timezone"] = data.timezone

    values["start_date"], values["end_date"] = data.start_date, data.end_date
    if data.start_date is None:
        errors["start_date"] = _("Give the first day.")
    if data.end_date is None:
        errors["end_date"] = _("Give the last day.")
    elif data.start_date is not None:
        if data.end_date < data.start_date:
            errors["end_date"] = _("The end must not be before the start.")
        elif data.end_date - data.start_date > timedelta(days=MAX_DAYS):
            errors["end_date"] = _("An event cannot last more than a year.")
        elif not 1900 < data.start_date.year < 3000 or not 1900 < data.end_date.year < 3000:
            errors["start_date"] = _("Give a date between 1901 and 2999.")
    values["starts_at"] = values["ends_at"] = None
    values["date_precision"] = "day"
    if (data.start_time is None) != (data.end_time is None):
        errors["end_time"] = _("Give both a start and an end time, or neither.")
    elif data.start_time is not None and "timezone" not in errors and not _dates_bad(errors):
        zone = ZoneInfo(data.timezone)
        starts = datetime.combine(data.start_date, data.start_time, zone).astimezone(UTC)
        ends = datetime.combine(data.end_date, data.end_time, zone).astimezone(UTC)
        if ends <= starts:
            errors["end_time"] = _("The end must be after the start.")
        values.update(starts_at=starts, ends_at=ends, date_precision="time")

    _check_seats(data, event, errors, values)
    _check_window(data, errors, values)

    languages = [code for code in LANGUAGES if code in (data.languages or [])]
    if not languages or set(data.languages or []) - set(LANGUAGES):
        errors["languages"] = _("Choose at least one of Spanish, Portuguese and English.")
    values["languages"] = ",".join(languages)
    values["requires_approval"] = bool(data.requires_approval)
    values["is_public"] = bool(data.is_public)

    supporters = []
    for institution_id in data.supporters or []:
        if not 0 < institution_id < 2**31 or db.session.get(Institution, institution_id) is None:
            errors["supporters"] = _("Choose supporting organizations from the list.")
            break
        supporters.append(institution_id)
    values["supporters"] = supporters

    _check_cycle(data, event, errors, values)
    if errors:
        raise EventInvalid(errors)
    return values


def _first(translations: dict[str, str]) -> str | None:
    for language in ("en", "es", "pt"):
        if translations.get(language):
            return translations[language]
    return None


def _dates_bad(errors: dict[str, str]) -> bool:
    return "start_date" in errors or "end_date" in errors


def _check_seats(
    data: EventInput, event: Event | None, errors: dict[str, str], values: dict[str, Any]
) -> None:
    capacity = data.capacity
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Give a number of seats from 0 to %(max)s.", max=MAX_CAPACITY)
    elif event is not None and capacity is not None and capacity < event.seats_confirmed:
        errors["capacity"] = _(
            "The capacity cannot be %(capacity)s: %(confirmed)s seats are already confirmed.",
            capacity=capacity,
            confirmed=event.seats_confirmed,
        )
    values["capacity"] = capacity
    quotas: dict[str, int] = {}
    confirmed = {q.country_code: q.seats_confirmed for q in event.quotas} if event else {}
    for raw_code, seats in (data.quotas or {}).items():
        code = (raw_code or "").strip().upper()
        if len(code) != 2 or db.session.get(Country, code) is None:
            errors["quotas"] = _("There is no country with the code %(code)s.", code=raw_code[:8])
            break
        if not isinstance(seats, int) or not 0 <= seats <= MAX_CAPACITY:
            errors["quotas"] = _("Give each country's seats as a number from 0 up.")
            break
        if seats < confirmed.get(code, 0):
            errors["quotas"] = _(
                "The quota of %(country)s cannot be %(seats)s: %(confirmed)s of its seats are"
                " already confirmed.",
                country=code,
                seats=seats,
                confirmed=confirmed[code],
            )
            break
        quotas[code] = seats
    if "quotas" not in errors:
        for code, taken in confirmed.items():
            if taken and code not in quotas:
                errors["quotas"] = _(
                    "The quota of %(country)s cannot be removed: %(confirmed)s of its seats are"
                    " already confirmed.",
                    country=code,
                    confirmed=taken,
                )
                break
    total = sum(quotas.values())
    if "quotas" not in errors and "capacity" not in errors and quotas:
        if capacity is None:
            errors["capacity"] = _("Country quotas need a capacity.")
        elif total > capacity:
            errors["quotas"] = _(
                "The quotas add up to %(total)s seats, more than the capacity of %(capacity)s.",
                total=total,
                capacity=capacity,
            )
    if event is not None and capacity is not None and not errors.keys() & {"capacity", "quotas"}:
        # Seats taken outside the quotas plus the seats the quotas reserve must still fit:
        # otherwise a quota country would find its reserved seats gone.
        outside = event.seats_confirmed - sum(confirmed.values())
        if outside + total > capacity:
            errors["capacity"] = _(
                "The capacity cannot be %(capacity)s: %(outside)s seats are confirmed outside"
                " the quotas and the quotas reserve %(reserved)s.",
                capacity=capacity,
                outside=outside,
                reserved=total,
            )
    values["quotas"] = quotas


def _check_window(data: EventInput, errors: dict[str, str], values: dict[str, Any]) -> None:
    opens, closes = data.registration_opens_at, data.registration_closes_at
    for name, moment in (("registration_opens_at", opens), ("registration_closes_at", closes)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError(f"{name} must be an aware datetime")
    if opens and closes and closes < opens:
        errors["registration_closes_at"] = _("Registration must close after it opens.")
    elif "timezone" not in errors and not _dates_bad(errors) and data.start_date:
        start = values.get("starts_at") or event_start_instant(data.start_date, None, data.timezone)
        if closes and closes > start:
            errors["registration_closes_at"] = _("Registration must close before the event starts.")
        elif opens and opens >= start:
            errors["registration_opens_at"] = _("Registration must open before the event starts.")
    values["registration_opens_at"] = opens.astimezone(UTC) if opens else None
    values["registration_closes_at"] = closes.astimezone(UTC) if closes else None


def _check_cycle(
    data: EventInput, event: Event | None, errors: dict[str, str], values: dict[str, Any]
) -> None:
    values["cycle_id"], values["part_number"] = None, None
    if data.cycle_id is None:
        if data.part_number is not None:
            errors["cycle_id"] = _("Choose the cycle this part belongs to.")
        return
    cycle = db.session.get(Cycle, data.cycle_id) if 0 < data.cycle_id < 2**31 else None
    if cycle is None:
        errors["cycle_id"] = _("Choose a cycle from the list.")
        return
    part = data.part_number
    if part is None or not 1 <= part <= max(cycle.series.parts_per_cycle, 1):
        errors["part_number"] = _(
            "Choose a part from 1 to %(parts)s.", parts=cycle.series.parts_per_cycle
        )
        return
    taken = db.session.scalar(
        select(Event.id).where(Event.cycle_id == cycle.id, Event.part_number == part)
    )
    if taken is not None and (event is None or taken != event.id):
        errors["part_number"] = _("This cycle already has a part %(part)s.", part=part)
        return
    values["cycle_id"], values["part_number"] = cycle.id, part
