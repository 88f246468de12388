"""iCalendar files (RFC 5545) and iMIP parts (RFC 6047): data in, bytes out.

Nothing here reads or writes the database: callers (calendars/service.py, registration) load
the event, the registration and the published agenda and pass them in. Texts are rendered in the requested language with
`force_locale`, so an app context is needed (for Flask-Babel and BASE_URL).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lanet.agenda.queries import AgendaEntry

if TYPE_CHECKING:
    from lanet.events.models import Event
    from lanet.network.models import Person


class Registration(Protocol):
    """What a participant's calendar needs of a registration (registration sits above
    calendars and passes its own rows in)."""

    event: Event
    person: Person | None
    status: str


PRODID = "-//Latin American Network for Genocide and Mass Atrocity Prevention//LANET//EN"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def host() -> str:
    return urlparse(current_app.config["BASE_URL"]).hostname or "lanet.local"


def event_uid(event_id: int) -> str:
    """Stable for the life of the event, so every later file and message updates the same entry."""
    return f"event-{event_id}@{host()}"


def agenda_item_uid(event_id: int, item_id: int) -> str:
    return f"event-{event_id}-item-{item_id}@{host()}"


def event_calendar(
    event: Event,
    language: str,
    method: str | None = None,
    *,
    agenda: Sequence[AgendaEntry] = (),
    stamp: datetime | None = None,
) -> bytes:
    """The event and each of the given (published) agenda items, as one calendar file."""
    _check_method(method)
    with force_locale(language):
        calendar = _calendar(event.display_title(language), method, language)
        calendar.add_component(_event_component(event, language, stamp, method))
        for entry in agenda:
            calendar.add_component(_agenda_component(event, entry, language, stamp, method))
        return _finish(calendar)


def registration_calendar(
    registration: Registration,
    language: str,
    method: str | None = None,
    *,
    agenda: Sequence[AgendaEntry] = (),
    stamp: datetime | None = None,
) -> bytes:
    """The participant's own calendar: the event with them as attendee.

    The event's UID is the one of the public event entry, so a later REQUEST or CANCEL sent to
    the participant moves or removes the entry they already have. An iMIP message (method set)
    carries only that entry; the downloaded file adds the given published agenda.
    """
    _check_method(method)
    event = registration.event
    with force_locale(language):
        calendar = _calendar(event.display_title(language), method, language)
        component = _event_component(event, language, stamp, method)
        _add_people(component, registration, method)
        _add_join_link(component, registration, event, language)
        calendar.add_component(component)
        if method is None:
            for entry in agenda:
                calendar.add_component(_agenda_component(event, entry, language, stamp, method))
        return _finish(calendar)


def network_feed(
    events: Iterable[Event],
    language: str,
    *,
    name: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """All the given public events as one subscribable feed, named with X-WR-CALNAME."""
    with force_locale(language):
        title = name or _("LANET – events of the Latin American Network")
        calendar = _calendar(title, None, language)
        for event in events:
            calendar.add_component(_event_component(event, language, stamp, None))
        return _finish(calendar)


# --- building blocks ---------------------------------------------------------------------------


def _check_method(method: str | None) -> None:
    if method is not None and method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")


def _calendar(name: str, method: str | None, language: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    # Calendar names are single lines; vText makes icalendar escape them like any text.
    name = icalendar.vText(" ".join(name.split()))
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("x-lanet-language", language)
    return calendar


def _finish(calendar: icalendar.Calendar) -> bytes:
    first, last = _span(calendar)
    if first is not None:
        # VTIMEZONE transitions only around the dates in use keep the files small.
        calendar.add_missing_timezones(date(first.year, 1, 1), date(last.year + 1, 12, 31))
    return calendar.to_ical()


def _span(calendar: icalendar.Calendar) -> tuple[date | None, date | None]:
    days: list[date] = []
    for component in calendar.walk("VEVENT"):
        for key in ("DTSTART", "DTEND"):
            prop = component.get(key)
            if prop is not None and isinstance(prop.dt, datetime):
                days.append(prop.dt.date())
    return (min(days), max(days)) if days else (None, None)


def _stamp(event: Event, stamp: datetime | None, method: str | None) -> datetime:
    """Published files stamp the last change, so rebuilding an unchanged event gives the same
    bytes (and ETag); an iMIP message is stamped when it is created (RFC 5546)."""
    if stamp is not None:
        return stamp.astimezone(UTC)
    if method is not None:
        return datetime.now(UTC).replace(microsecond=0)
    return (event.updated_at or EPOCH).astimezone(UTC).replace(microsecond=0)


@functools.lru_cache(maxsize=8)
def _labels_for(language: str, _catalog_id: int) -> dict:
    from lanet.events.labels import KIND_LABELS, STATUS_LABELS

    with force_locale(language):
        return {
            "kinds": {key: str(label) for key, label in KIND_LABELS.items()},
            "statuses": {key: str(label) for key, label in STATUS_LABELS.items()},
            "status": _("Status"),
            "to_be_confirmed": _("Exact dates to be confirmed."),
        }


def _labels(language: str) -> dict:
    """Labels translated once per language, not once per event: a feed has thousands."""
    return _labels_for(language, id(current_app))


def _event_component(
    event: Event, language: str, stamp: datetime | None, method: str | None
) -> icalendar.Event:
    labels = _labels(language)
    component = icalendar.Event()
    component.add("uid", event_uid(event.id))
    component.add("dtstamp", _stamp(event, stamp, method))
    component.add("sequence", event.sequence or 0)
    component.add("summary", " ".join(event.display_title(language).split()))
    if event.date_precision == "time" and event.starts_at and event.ends_at:
        zone = ZoneInfo(event.timezone)
        component.add("dtstart", event.starts_at.astimezone(zone))
        component.add("dtend", event.ends_at.astimezone(zone))
    else:
        # Only the dates are known: an all-day entry over them (DTEND is exclusive).
        component.add("dtstart", event.start_date)
        component.add("dtend", event.end_date + timedelta(days=1))
        component.add("transp", "TRANSPARENT")
    location = _location(event, language)
    if location:
        component.add("location", location)
    kind = labels["kinds"].get(event.kind, event.kind)
    component.add("categories", [kind])
    lines = [kind]
    if event.date_precision in ("month", "half-year", "year"):
        lines.append(labels["to_be_confirmed"])
    lines.append(f"{labels['status']}: {labels['statuses'].get(event.status, event.status)}")
    if event.description:
        lines.extend(["", event.description])
    url = f"{current_app.config['BASE_URL']}/events/{event.slug}"
    lines.extend(["", url])
    component.add("description", "\n".join(lines))
    component.add("url", url)
    cancelled = event.status == "cancelled" or method == "CANCEL"
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if event.updated_at:
        component.add("last-modified", event.updated_at.astimezone(UTC).replace(microsecond=0))
    return component


def _agenda_component(
    event: Event, entry: AgendaEntry, language: str, stamp: datetime | None, method: str | None
) -> icalendar.Event:
    from lanet.agenda.labels import ITEM_KIND_LABELS

    zone = ZoneInfo(event.timezone)
    component = icalendar.Event()
    component.add("uid", agenda_item_uid(event.id, entry.id))
    component.add("dtstamp", _stamp(event, stamp, method))
    component.add("sequence", event.sequence or 0)
    component.add("summary", entry.title)
    component.add("dtstart", entry.starts_at.astimezone(zone))
    component.add("dtend", entry.ends_at.astimezone(zone))
    kind = str(ITEM_KIND_LABELS.get(entry.kind, entry.kind))
    component.add("categories", [kind])
    lines = [f"{kind} – {event.display_title(language)}"]
    if entry.speakers:
        lines.append(f"{_('Speakers')}: {'; '.join(entry.speakers)}")
    if entry.description:
        lines.extend(["", entry.description])
    component.add("description", "\n".join(lines))
    location = ", ".join(part for part in (entry.room, _location(event, language)) if part)
    if location:
        component.add("location", location)
    component.add("related-to", event_uid(event.id))
    if event.status == "cancelled":
        component.add("status", "CANCELLED")
    return component


def _add_join_link(
    component: icalendar.Event, registration: Registration, event: Event, language: str
) -> None:
    """The online join link, for confirmed participants only (RFC 7986 CONFERENCE)."""
    if not event.online_url or registration.status != "confirmed" or event.status == "cancelled":
        return
    conference = icalendar.vUri(event.online_url)
    component.add("conference", conference, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    description = str(component.get("description", ""))
    component["description"] = icalendar.vText(
        f"{description}\n\n{_('Join online')}: {event.online_url}"
    )
    if event.attendance_mode == "online" and "location" not in component:
        component.add("location", event.online_url)


def _location(event: Event, language: str) -> str:
    country = event.country.name(language) if event.country else None
    return ", ".join(part for part in (event.venue, event.display_city(language), country) if part)


def _add_people(component: icalendar.Event, registration: Registration, method: str | None) -> None:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    organizer = icalendar.vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = icalendar.vText("LANET")
    component.add("organizer", organizer)
    person = registration.person
    if person is None or not person.email:
        return
    attendee = icalendar.vCalAddress(f"mailto:{person.email}")
    attendee.params["cn"] = icalendar.vText(person.full_name)
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText(
        "ACCEPTED" if registration.status == "confirmed" else "NEEDS-ACTION"
    )
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    component.add("attendee", attendee)
