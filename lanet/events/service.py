"""Changing an event's dates or cancelling it: every registrant's calendar follows.

Transactions: services commit, and these two are steps of the lifecycle service that views
and the API call, which commits (or rolls back) once the whole change is made: the event row
lock, the agenda's new version, the outbox rows and the calendar rebuild request that the
subscribers to `event_rescheduled` / `event_cancelled` add all commit, or vanish, together.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from lanet.core import audit, signals
from lanet.core.i18n import service_text as _
from lanet.events.models import DatePrecision, Event, EventStatus
from lanet.extensions import db


class EventError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def move_event(
    event_id: int,
    *,
    start_date: date,
    end_date: date,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    timezone: str | None = None,
    user_id: int | None = None,
) -> Event:
    """New dates (and, for timed events, instants), announced with `event_rescheduled`: the
    agenda's draft moves by the same number of days and a published agenda is re-published,
    registrants get a METHOD:REQUEST and the stored calendars are rebuilt."""
    event = _locked_event(event_id)
    if event.status == EventStatus.cancelled:
        raise EventError(_("A cancelled event cannot be moved."))
    _check_dates(start_date, end_date, starts_at, ends_at)
    zone = timezone or event.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventError(_("Unknown time zone."), "timezone") from None
    before = {
        "start_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat(),
        "starts_at": event.starts_at.isoformat() if event.starts_at else None,
        "ends_at": event.ends_at.isoformat() if event.ends_at else None,
        "timezone": event.timezone,
    }
    days = (start_date - event.start_date).days
    previous_timezone = event.timezone
    event.start_date, event.end_date, event.timezone = start_date, end_date, zone
    event.starts_at, event.ends_at = starts_at, ends_at
    if starts_at is None and event.date_precision == DatePrecision.time:
        event.date_precision = DatePrecision.day
    elif starts_at is not None:
        event.date_precision = DatePrecision.time
    event.sequence = (event.sequence or 0) + 1
    db.session.flush()
    signals.event_rescheduled.send(
        event, days=days, previous_timezone=previous_timezone, user_id=user_id, before=before
    )
    audit.record(
        "event.moved",
        "event",
        event.id,
        event_id=event.id,
        user_id=user_id,
        changes={
            "before": before,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
        },
    )
    return event


def cancel_event(event_id: int, *, reason: str | None = None, user_id: int | None = None) -> Event:
    """Marks the event cancelled, announced with `event_cancelled`: registrants get a
    METHOD:CANCEL for the same UID and the stored calendars are rebuilt."""
    event = _locked_event(event_id)
    if event.status == EventStatus.cancelled:
        raise EventError(_("The event is already cancelled."))
    previous = event.status
    event.status = EventStatus.cancelled
    event.sequence = (event.sequence or 0) + 1
    reason = (reason or "").strip() or None
    if reason:
        event.note = reason
    db.session.flush()
    signals.event_cancelled.send(event, reason=reason, user_id=user_id)
    audit.record(
        "event.cancelled",
        "event",
        event.id,
        event_id=event.id,
        user_id=user_id,
        changes={"status": [previous, EventStatus.cancelled], "reason": reason},
    )
    return event


def _check_dates(
    start_date: date, end_date: date, starts_at: datetime | None, ends_at: datetime | None
) -> None:
    if end_date < start_date:
        raise EventError(_("The end must not be before the start."), "end_date")
    if (starts_at is None) != (ends_at is None):
        raise EventError(_("Give both a start and an end time, or neither."), "ends_at")
    if starts_at is not None and ends_at is not None:
        if starts_at.tzinfo is None or ends_at.tzinfo is None:
            raise ValueError("aware datetimes required")
        if ends_at < starts_at:
            raise EventError(_("The end must not be before the start."), "ends_at")
    if end_date - start_date > timedelta(days=366):
        raise EventError(_("An event cannot last more than a year."), "end_date")


def _locked_event(event_id: int) -> Event:
    event = db.session.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if event is None:
        raise EventError(_("No such event."))
    return event
