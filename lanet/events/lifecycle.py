"""An event's status: planned → open → closed → held, or cancelled.

Registration opens and closes by itself at the ends of its window (`sweep_windows`, run by
beat every minute) and never stays open once the event has started; an event that has
started cannot be opened. Staff and organizers may also open, close or mark held by hand.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import or_, select

from lanet.core import audit, signals
from lanet.core.types import utcnow
from lanet.events.locks import lock_event
from lanet.events.models import Event, EventStatus
from lanet.events.validation import EventInvalid, event_start_instant
from lanet.extensions import db


def starts_at(event: Event) -> datetime:
    """The instant the event begins (its first local midnight when no time is known)."""
    if event.starts_at is not None:
        return event.starts_at
    return event_start_instant(event.start_date, None, event.timezone)


def has_started(event: Event, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= starts_at(event)


def _set_status(event: Event, status: str, *, user_id: int | None, actor: str | None) -> None:
    before = event.status
    event.status = status
    audit.record(
        "event.status",
        "event",
        event.id,
        event_id=event.id,
        user_id=user_id,
        actor=actor,
        changes={"before": {"status": before}, "after": {"status": status}},
    )


def _locked(event_id: int) -> Event:
    event = lock_event(event_id)
    if event is None:
        raise EventInvalid({"event": _("No such event.")})
    return event


def open_registration(
    event_id: int, *, user_id: int | None = None, now: datetime | None = None
) -> Event:
    """Opens registration now (its window, if it would open later, opens now)."""
    now = now or utcnow()
    try:
        event = _locked(event_id)
        if event.status == EventStatus.open:
            return event
        if event.status not in (EventStatus.planned, EventStatus.closed):
            raise EventInvalid(
                {"status": _("Only a planned or closed event can open its registration.")}
            )
        if has_started(event, now):
            raise EventInvalid(
                {"status": _("This event has already started: its registration cannot open.")}
            )
        if event.registration_closes_at is not None and event.registration_closes_at <= now:
            raise EventInvalid(
                {
                    "registration_closes_at": _(
                        "The registration window has ended; set a later end to open it."
                    )
                }
            )
        if event.registration_opens_at is None or event.registration_opens_at > now:
            event.registration_opens_at = now
        _set_status(event, EventStatus.open, user_id=user_id, actor=None)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def close_registration(event_id: int, *, user_id: int | None = None) -> Event:
    try:
        event = _locked(event_id)
        if event.status == EventStatus.closed:
            return event
        if event.status != EventStatus.open:
            raise EventInvalid({"status": _("Only an open registration can be closed.")})
        _set_status(event, EventStatus.closed, user_id=user_id, actor=None)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def mark_held(event_id: int, *, user_id: int | None = None, now: datetime | None = None) -> Event:
    """Records that the event took place: only once it has started, and not if cancelled."""
    try:
        event = _locked(event_id)
        if event.status == EventStatus.held:
            return event
        if event.status == EventStatus.cancelled:
            raise EventInvalid({"status": _("A cancelled event cannot be marked as held.")})
        if not has_started(event, now):
            raise EventInvalid({"status": _("An event can be marked as held once it has begun.")})
        _set_status(event, EventStatus.held, user_id=user_id, actor=None)
        # Work that follows a held event (certificates) commits with the status change.
        signals.event_held.send(event, user_id=user_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def sweep_windows(now: datetime | None = None) -> dict[str, list[int]]:
    """Opens planned events whose window has begun, closes open events whose window has ended
    or that have started. Each event changes under its own lock, re-checked there."""
    now = now or utcnow()
    opened: list[int] = []
    closed: list[int] = []
    due_to_open = db.session.scalars(
        select(Event.id).where(
            Event.status == EventStatus.planned,
            Event.registration_opens_at.is_not(None),
            Event.registration_opens_at <= now,
            or_(Event.registration_closes_at.is_(None), Event.registration_closes_at > now),
            Event.end_date >= (now - timedelta(days=1)).date(),
        )
    ).all()
    for event_id in due_to_open:
        try:
            event = _locked(event_id)
            due = (
                event.status == EventStatus.planned
                and event.registration_opens_at is not None
                and event.registration_opens_at <= now
                and not (event.registration_closes_at and event.registration_closes_at <= now)
                and not has_started(event, now)
            )
            if due:
                _set_status(event, EventStatus.open, user_id=None, actor="worker")
                opened.append(event_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    for event_id in db.session.scalars(
        select(Event.id).where(Event.status == EventStatus.open)
    ).all():
        try:
            event = _locked(event_id)
            ended = event.registration_closes_at is not None and event.registration_closes_at <= now
            if event.status == EventStatus.open and (ended or has_started(event, now)):
                _set_status(event, EventStatus.closed, user_id=None, actor="worker")
                closed.append(event_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return {"opened": opened, "closed": closed}


# --- moving and cancelling -----------------------------------------------------------------


def move(
    event_id: int,
    start_date: date,
    end_date: date,
    start_time: time | None = None,
    end_time: time | None = None,
    *,
    user_id: int | None = None,
) -> Event:
    """New local dates (and times of day, for short events) in the event's time zone.

    Every confirmed and waitlisted registrant gets a METHOD:REQUEST with a raised SEQUENCE and
    what changed; a registration window that would now end after the start ends at the start.
    """
    from lanet.events.service import EventError, move_event

    try:
        event = _locked(event_id)
        if event.status in (EventStatus.cancelled, EventStatus.held):
            raise EventInvalid({"start_date": _("A cancelled or held event cannot be moved.")})
        errors: dict[str, str] = {}
        if end_date < start_date:
            errors["end_date"] = _("The end must not be before the start.")
        elif end_date - start_date > timedelta(days=366):
            errors["end_date"] = _("An event cannot last more than a year.")
        if (start_time is None) != (end_time is None):
            errors["end_time"] = _("Give both a start and an end time, or neither.")
        starts = ends = None
        if not errors and start_time is not None:
            starts = event_start_instant(start_date, start_time, event.timezone)
            ends = event_start_instant(end_date, end_time, event.timezone)
            if ends <= starts:
                errors["end_time"] = _("The end must be after the start.")
        if errors:
            raise EventInvalid(errors)
        new_start = starts or event_start_instant(start_date, None, event.timezone)
        closes = event.registration_closes_at
        if closes is not None and closes > new_start:
            event.registration_closes_at = new_start
        opens = event.registration_opens_at
        if opens is not None and opens >= new_start:
            event.registration_opens_at = None
        try:
            move_event(
                event_id,
                start_date=start_date,
                end_date=end_date,
                starts_at=starts,
                ends_at=ends,
                user_id=user_id,
            )
        except EventError as error:
            raise EventInvalid({error.field or "start_date": error.message}) from error
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def cancel(event_id: int, reasons: dict[str, str], *, user_id: int | None = None) -> Event:
    """Cancels the event with a reason (es/pt/en): registrants get METHOD:CANCEL for the
    same UID, the waiting list and its offers end, the event stays listed as cancelled."""
    from lanet.events.service import EventError, cancel_event

    reasons = {k: v.strip()[:2000] for k, v in (reasons or {}).items() if (v or "").strip()}
    reasons = {k: v for k, v in reasons.items() if k in ("es", "pt", "en")}
    try:
        event = _locked(event_id)
        if not reasons:
            raise EventInvalid({"reason_es": _("Give the reason, in at least one language.")})
        if event.status == EventStatus.held:
            raise EventInvalid({"reason_es": _("An event that was held cannot be cancelled.")})
        event.cancellation_reason = reasons
        reason = reasons.get("en") or next(iter(reasons.values()))
        try:
            cancel_event(event_id, reason=reason, user_id=user_id)
        except EventError as error:
            raise EventInvalid({"reason_es": error.message}) from error
        signals.event_registration_ended.send(event_id)
        audit.record(
            "event.cancellation_reason",
            "event",
            event_id,
            event_id=event_id,
            user_id=user_id,
            changes={"before": {"cancellation_reason": None},
                     "after": {"cancellation_reason": reasons}},
        )  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event
