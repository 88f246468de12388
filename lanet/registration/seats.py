"""Seats and quotas: who gets a confirmed seat, under the event's row lock.

`events.seats_confirmed` and `event_quotas.seats_confirmed` count the seats held, by confirmed
registrations and by open waiting-list offers. They only move under the event row lock
(SELECT … FOR NO KEY UPDATE) and through conditional UPDATEs, and CHECK constraints in the
database keep them within capacity and quota whatever happens here.

These functions write nothing on their own and never commit: they run inside the transaction
of the service that calls them (service.py, waitlist.py), which commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import exists, or_, select, text, update
from sqlalchemy.exc import OperationalError

from lanet.core.types import utcnow
from lanet.events.models import Event, EventQuota
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.errors import SeatBusy
from lanet.registration.models import Registration, RegistrationStatus

FINAL = (RegistrationStatus.cancelled, RegistrationStatus.declined)


def holds_seat(registration: Registration) -> bool:
    return registration.status == RegistrationStatus.confirmed or (
        registration.status == RegistrationStatus.waitlisted
        and registration.offer_expires_at is not None
    )


def _counters_and_quotas(event_id: int) -> tuple[int | None, int, dict]:
    """(capacity, seats taken, quotas) in one round trip, unlocked: the event's row LEFT JOINed
    with its quotas, read from one snapshot."""
    rows = db.session.execute(
        select(
            Event.capacity,
            Event.seats_confirmed,
            EventQuota.country_code,
            EventQuota.seats,
            EventQuota.seats_confirmed.label("quota_taken"),
        )
        .outerjoin(EventQuota, EventQuota.event_id == Event.id)
        .where(Event.id == event_id)
    ).all()
    first = rows[0]
    event_quotas = {
        row.country_code: (row.seats, row.quota_taken)
        for row in rows
        if row.country_code is not None
    }
    return first.capacity, first.seats_confirmed, event_quotas


def _lock_timeout() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        # A request never queues behind the lock for long: past the timeout it answers
        # "busy, try again" (SeatBusy) instead of piling up workers, as pretix does. LOCAL:
        # the setting ends with this transaction, the pooled connection keeps its default.
        timeout = int(current_app.config["SEAT_LOCK_TIMEOUT_MS"])
        db.session.execute(text(f"SET LOCAL lock_timeout = {timeout}"))


def _execute_locked(query) -> list:
    try:
        return db.session.execute(query).all()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
            raise SeatBusy() from error
        raise


def lock_event(event_id: int) -> tuple[int | None, int]:
    """Takes the event's row lock (held to commit) and reads its counters fresh.

    FOR NO KEY UPDATE: rows inserted with a foreign key to the event (registrations, outbox
    messages) take KEY SHARE locks on it, which a plain FOR UPDATE would wait for: two
    registrations would deadlock. Seat-taking only needs to exclude other seat-takers.
    """
    query = (
        select(Event.capacity, Event.seats_confirmed)
        .where(Event.id == event_id)
        .execution_options(populate_existing=True)
    )
    # The one test switch (set only by tests/apps.py, never from the environment): the
    # concurrency test turns the lock off to show the race it prevents, as pretix's
    # skip-locking debug flag does. Same algorithm either way.
    if not current_app.config.get("SEAT_LOCK_DISABLED_FOR_TESTS"):
        query = query.with_for_update(key_share=True)
    _lock_timeout()
    (row,) = _execute_locked(query)
    return row.capacity, row.seats_confirmed


def lock_and_refresh(registration: Registration) -> None:
    """Takes the event lock, then rereads the registration: a simultaneous cancel, offer
    expiry or acceptance that committed meanwhile is seen, and never counted twice."""
    lock_event(registration.event_id)
    db.session.refresh(registration)


def quotas(event_id: int) -> dict[str, tuple[int, int]]:
    rows = db.session.execute(
        select(EventQuota.country_code, EventQuota.seats, EventQuota.seats_confirmed).where(
            EventQuota.event_id == event_id
        )
    )
    return {code: (seats, taken) for code, seats, taken in rows}


def _pool_filter(country_code: str | None, quota_countries: Iterable[str]):
    """The waiting-list entries competing for the same seats as a person of this country."""
    quota_countries = list(quota_countries)
    if country_code in quota_countries:
        return Person.country_code == country_code
    if not quota_countries:
        return True
    return or_(Person.country_code.is_(None), Person.country_code.not_in(quota_countries))


def _queue_ahead(event_id: int, country_code: str | None, event_quotas: dict) -> bool:
    """Whether someone waits, without an offer, for the seat this newcomer would take."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Registration.event_id == event_id,
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_(None),
                    Registration.person_id == Person.id,
                    _pool_filter(country_code, event_quotas),
                )
            )
        )
    )


def take_seat(
    event_id: int, country_code: str | None, *, respect_queue: bool = True
) -> tuple[bool, str | None]:
    """(seat taken, quota country it counts against). Call inside the caller's transaction."""
    # Two statements on purpose: the quotas are read after the lock is granted. Joined to the
    # locked row, PostgreSQL would recheck only the event's row after waiting (READ COMMITTED
    # EvalPlanQual) and keep the quotas of the statement's snapshot: stale counts that turned
    # away newcomers with a seat still free (the concurrency test caught it).
    capacity, taken = lock_event(event_id)
    event_quotas = quotas(event_id)
    if respect_queue and _queue_ahead(event_id, country_code, event_quotas):
        return False, None
    if capacity is not None and taken >= capacity:
        return False, None
    quota_country = country_code if country_code in event_quotas else None
    if quota_country:
        seats, quota_taken = event_quotas[quota_country]
        if quota_taken >= seats:
            return False, None
    elif capacity is not None:
        # Seats of quotas not yet filled stay reserved for their countries.
        reserved = sum(max(seats - used, 0) for seats, used in event_quotas.values())
        if taken + reserved >= capacity:
            return False, None
    # Under the lock both updates succeed; the conditions guard against counters that
    # drifted, and the CHECK constraints against everything else.
    if not _increment_event(event_id):
        return False, None
    if quota_country and not _increment_quota(event_id, quota_country):
        release_seat(event_id, None)
        return False, None
    return True, quota_country


def _increment_event(event_id: int) -> bool:
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
        )
        .values(seats_confirmed=Event.seats_confirmed + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _increment_quota(event_id: int, country_code: str) -> bool:
    result = db.session.execute(
        update(EventQuota)
        .where(
            EventQuota.event_id == event_id,
            EventQuota.country_code == country_code,
            EventQuota.seats_confirmed < EventQuota.seats,
        )
        .values(seats_confirmed=EventQuota.seats_confirmed + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_seat(event_id: int, quota_country: str | None) -> None:
    db.session.execute(
        update(Event)
        .where(Event.id == event_id, Event.seats_confirmed > 0)
        .values(seats_confirmed=Event.seats_confirmed - 1)
        .execution_options(synchronize_session=False)
    )
    if quota_country:
        db.session.execute(
            update(EventQuota)
            .where(
                EventQuota.event_id == event_id,
                EventQuota.country_code == quota_country,
                EventQuota.seats_confirmed > 0,
            )
            .values(seats_confirmed=EventQuota.seats_confirmed - 1)
            .execution_options(synchronize_session=False)
        )


def seat_looks_free(event_id: int, country_code: str | None) -> tuple[bool, str | None]:
    """An unlocked look: (a seat seems free for this country, the quota it would count on)."""
    capacity, taken, event_quotas = _counters_and_quotas(event_id)
    quota_country = country_code if country_code in event_quotas else None
    if _queue_ahead(event_id, country_code, event_quotas):
        return False, None
    if capacity is not None and taken >= capacity:
        return False, None
    if quota_country:
        seats, used = event_quotas[quota_country]
        return used < seats, quota_country
    if capacity is None:
        return True, None
    reserved = sum(max(seats - used, 0) for seats, used in event_quotas.values())
    return taken + reserved < capacity, None


def apply_seat(registration: Registration, taken: bool, quota_country: str | None) -> str:
    """Sets the status the seat decision gives; returns the email template that tells it."""
    now = utcnow()
    if taken:
        registration.status = RegistrationStatus.confirmed
        registration.seat_country_code = quota_country
        registration.confirmed_at = now
        return "registration_confirmed"
    registration.status = RegistrationStatus.waitlisted
    registration.waitlisted_at = now
    return "registration_waitlisted"


def seat_or_waitlist(registration: Registration, country_code: str | None) -> str:
    taken, quota_country = take_seat(registration.event_id, country_code)
    return apply_seat(registration, taken, quota_country)


def end(registration: Registration, status: str) -> bool | None:
    """Moves to a final status, giving back the seat it held; True when it held one, None
    when the registration had already ended."""
    lock_and_refresh(registration)
    if registration.status in FINAL:
        return None
    had_seat = holds_seat(registration)
    if had_seat:
        release_seat(registration.event_id, registration.seat_country_code)
    registration.status = status
    registration.seat_country_code = None
    registration.offered_at = None
    registration.offer_expires_at = None
    return had_seat
