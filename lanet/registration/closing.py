"""When an event is cancelled, its waiting list ends: every waiting registration (offers
included, whose held seats are given back) is cancelled in the same transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from lanet.core import audit
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.registration.models import Registration, RegistrationStatus


def end_waiting_list(event_id: int) -> list[int]:
    """Cancels the event's waitlisted registrations; the caller commits."""
    from lanet.registration.seats import end

    now = utcnow()
    ended: list[int] = []
    waiting = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.waitlisted,
        )
        .order_by(Registration.id)
    ).all()
    for registration in waiting:
        had_offer = registration.offer_expires_at is not None
        if end(registration, RegistrationStatus.cancelled) is None:
            continue
        registration.cancelled_at = now
        ended.append(registration.id)
        audit.record(
            "registration.waiting_list_ended",
            "registration",
            registration.id,
            event_id=event_id,
            person_id=registration.person_id,
            actor="event cancelled",
            changes={"before": {"status": "waitlisted", "offer": had_offer},
                     "after": {"status": "cancelled"}},
        )  # fmt: skip
    return ended


def counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per event: confirmed, waitlisted, pending, and how many a move or cancel would tell."""
    rows = db.session.execute(
        select(Registration.event_id, Registration.status, func.count())
        .where(Registration.event_id.in_(event_ids))
        .group_by(Registration.event_id, Registration.status)
    ).all()
    result: dict[int, dict[str, int]] = {
        event_id: {"confirmed": 0, "waitlisted": 0, "pending": 0} for event_id in event_ids
    }
    for event_id, status, number in rows:
        if status in result[event_id]:
            result[event_id][status] = number
    for numbers in result.values():
        numbers["to_notify"] = numbers["confirmed"] + numbers["waitlisted"]
    return result
