"""The waiting list: offering freed seats in order of arrival, accepting and expiring offers.

An offer holds its seat (counted like a confirmed one) until it is accepted or expires. A freed
seat is offered by a worker right after the commit that frees it; beat's sweep repeats the work
so a broker outage only delays it. Every function commits its own transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lanet.core import audit, dispatch
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration import notifications, seats
from lanet.registration.errors import RegistrationError
from lanet.registration.models import Registration, RegistrationStatus
from lanet.registration.queries import get_event, registration_by_token

PROMOTE_TASK = "lanet.registration.promote_waiting_list"


def request_promotion(event_id: int) -> None:
    """Asks a worker to offer freed seats; the beat sweep catches up if the broker is down."""
    dispatch.send_after_commit(PROMOTE_TASK, event_id)


def offer_hours() -> int:
    return current_app.config["REGISTRATION_OFFER_HOURS"]


def promote_waiting_list(event_id: int, now: datetime | None = None) -> list[int]:
    """Offers free seats to the waiting list in order of arrival, respecting the quotas.

    An offer holds its seat until it is accepted or expires. Returns the registrations offered.
    """
    now = now or utcnow()
    offered: list[int] = []
    try:
        event = get_event(event_id)
        seats.lock_event(event_id)
        waiting = list(
            db.session.scalars(
                select(Registration)
                .join(Person, Registration.person_id == Person.id)
                .where(
                    Registration.event_id == event_id,
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_(None),
                )
                .order_by(Registration.waitlisted_at, Registration.id)
            )
        )
        for registration in waiting:
            taken, quota_country = seats.take_seat(
                event_id, registration.person.country_code, respect_queue=False
            )
            if not taken:
                continue
            registration.seat_country_code = quota_country
            registration.offered_at = now
            registration.offer_expires_at = now + timedelta(hours=offer_hours())
            offered.append(registration.id)
            audit.record(
                "registration.offered",
                "registration",
                registration.id,
                changes={"offer_expires_at": registration.offer_expires_at.isoformat()},
                event_id=event_id,
                person_id=registration.person_id,
                actor="worker",
            )
            notifications.send(
                registration,
                "registration_offer",
                offer_expires=notifications.format_deadline(
                    registration.offer_expires_at, event, registration.person.language
                ),
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offered


def accept_offer(token: str, now: datetime | None = None) -> Registration:
    """The waitlisted participant takes the seat offered to them."""
    now = now or utcnow()
    registration = registration_by_token(token)
    try:
        # Under the event lock: the offer cannot expire (and its seat pass on) meanwhile.
        seats.lock_and_refresh(registration)
        if (
            registration.status != RegistrationStatus.waitlisted
            or not registration.offer_expires_at
        ):
            raise RegistrationError(str(_l("There is no seat offer to accept.")))
        if registration.offer_expires_at < now:
            raise RegistrationError(str(_l("This offer has expired.")))
        registration.status = RegistrationStatus.confirmed
        registration.confirmed_at = now
        registration.offered_at = None
        registration.offer_expires_at = None
        audit.record(
            "registration.offer_accepted",
            "registration",
            registration.id,
            event_id=registration.event_id,
            person_id=registration.person_id,
            actor="participant link",
        )
        notifications.send(registration, "registration_confirmed")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return registration


def expire_offers(now: datetime | None = None) -> list[int]:
    """Ends unanswered offers; their seats pass on to the next on the list."""
    now = now or utcnow()
    expired: list[int] = []
    events: set[int] = set()
    try:
        due = list(
            db.session.scalars(
                select(Registration)
                .where(
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_not(None),
                    Registration.offer_expires_at < now,
                )
                .order_by(Registration.event_id, Registration.id)
            )
        )
        for registration in due:
            # The event lock first, as everywhere, then the row as it is now.
            seats.lock_and_refresh(registration)
            still_due = (
                registration.status == RegistrationStatus.waitlisted
                and registration.offer_expires_at is not None
                and registration.offer_expires_at < now
            )
            if not still_due:
                continue
            seats.end(registration, RegistrationStatus.cancelled)
            registration.cancelled_at = now
            expired.append(registration.id)
            events.add(registration.event_id)
            audit.record(
                "registration.offer_expired",
                "registration",
                registration.id,
                event_id=registration.event_id,
                person_id=registration.person_id,
                actor="worker",
            )
            notifications.send(registration, "registration_offer_expired")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for event_id in sorted(events):
        promote_waiting_list(event_id, now)
    return expired


def events_with_free_seats_and_waiting() -> list[int]:
    """Events where someone waits without an offer: candidates for the periodic sweep."""
    return list(
        db.session.scalars(
            select(Registration.event_id)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == RegistrationStatus.waitlisted,
                Registration.offer_expires_at.is_(None),
                Event.status.in_((EventStatus.open, EventStatus.closed)),
                or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
            )
            .distinct()
        )
    )
