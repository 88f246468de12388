"""Seats and quotas: who gets a confirmed seat, under the event's row lock.

`events.seats_confirmed` and `event_quotas.seats_confirmed` count the seats held, by confirmed
registrations and by open waiting-list offers. They only move under the event's row lock (the
one lock of `lanet.events.locks`; taken by `take_seat`'s conditional UPDATE of the event's row
itself, or by `lock_event` beforehand) and through conditional UPDATEs, and CHECK constraints
in the database keep them within capacity and quota whatever happens here.

A storm of registrations on one capped event serialises on that row lock, and a registration
holds it from its seat step to the end of its commit (the WAL flush included). So the
registration path (service.py) does everything else first (person, institution, the
registration's row, its audit entry and email) and the seat step is two short statements
right before the commit (`take_seat`); a newcomer for whom the unlocked `look` finds no seat
does not take the lock at all.

These functions write nothing on their own and never commit: they run inside the transaction
of the service that calls them (service.py, waitlist.py), which commits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from lanet.core.types import utcnow
from lanet.events import locks
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


@dataclass(frozen=True)
class Look:
    """The counters as one unlocked statement saw them (`look`): whether a newcomer should try
    for a seat at all, and, when not, why they wait (standing.py)."""

    capacity: int | None
    taken: int
    quotas: dict[str, tuple[int, int]]  # country: (seats, confirmed)
    queue_ahead: bool  # someone of the same pool waits without an offer

    def seat_for(self, country_code: str | None) -> tuple[bool, str | None]:
        """(a seat seems free for this country, the quota it would count on)."""
        quota_country = country_code if country_code in self.quotas else None
        if self.queue_ahead:
            return False, None
        if self.capacity is not None and self.taken >= self.capacity:
            return False, None
        if quota_country:
            seats, used = self.quotas[quota_country]
            return used < seats, quota_country
        if self.capacity is None:
            return True, None
        return self.taken + reserved_seats(self.quotas) < self.capacity, None


def reserved_seats(event_quotas: dict[str, tuple[int, int]]) -> int:
    """Seats of quotas not yet filled: they stay reserved for their countries."""
    return sum(max(seats - used, 0) for seats, used in event_quotas.values())


# The seat statements are built once, with bound parameters, and reused: building SQLAlchemy
# expressions (aliases above all) cost more CPU per registration than the round trips did.
_EVENT_ID = bindparam("seat_event_id", type_=Integer)
_COUNTRY = bindparam("seat_country", type_=String)


def _params(event_id: int, country_code: str | None) -> dict:
    return {"seat_event_id": event_id, "seat_country": country_code}


@functools.cache
def _same_pool(with_country: bool):
    own = EventQuota.__table__.alias("own_quota")
    theirs = EventQuota.__table__.alias("their_quota")
    they_have_quota = exists().where(
        theirs.c.event_id == _EVENT_ID, theirs.c.country_code == Person.country_code
    )
    if not with_country:
        return ~they_have_quota
    has_quota = exists().where(own.c.event_id == _EVENT_ID, own.c.country_code == _COUNTRY)
    return or_(
        and_(has_quota, Person.country_code == _COUNTRY),
        and_(~has_quota, ~they_have_quota),
    )


def same_pool(country_code: str | None):
    """SQL: the person (`Person`) competes for the same seats as a person of this country: the
    same country when it has a quota here, else every country without one (no country
    included). Needs no quota list in Python: the quotas are read in the same statement.
    Execute with `pool_params(event_id, country_code)`."""
    return _same_pool(country_code is not None)


def pool_params(event_id: int, country_code: str | None) -> dict:
    return _params(event_id, country_code)


@functools.cache
def _queue_ahead(with_country: bool):
    """SQL: whether someone waits, without an offer, for the seat this newcomer would take."""
    return exists().where(
        Registration.event_id == _EVENT_ID,
        Registration.status == RegistrationStatus.waitlisted,
        Registration.offer_expires_at.is_(None),
        Registration.person_id == Person.id,
        _same_pool(with_country),
    )


@functools.cache
def _look_statement(with_country: bool, lock_timeout: bool):
    columns = [
        Event.capacity,
        Event.seats_confirmed,
        EventQuota.country_code,
        EventQuota.seats,
        EventQuota.seats_confirmed.label("quota_taken"),
        _queue_ahead(with_country).label("queue_ahead"),
    ]
    if lock_timeout:
        timeout = bindparam("seat_lock_timeout", type_=String)
        columns.append(func.set_config("lock_timeout", timeout, True).label("lock_timeout"))
    return (
        select(*columns)
        .outerjoin(EventQuota, EventQuota.event_id == Event.id)
        .where(Event.id == _EVENT_ID)
        .execution_options(lanet_seat_look=True)
    )


def look(event_id: int, country_code: str | None) -> Look:
    """Capacity, seats taken, quotas and whether someone of the same pool waits: one unlocked
    statement (the event's row LEFT JOINed with its quotas, the queue as a subquery).

    On PostgreSQL it also bounds how long this transaction will wait for row locks
    (`set_config('lock_timeout', …, true)`, SEAT_LOCK_TIMEOUT_MS, until the transaction ends):
    the seat step that follows (`take_seat`) then answers "busy, try again" (SeatBusy) instead
    of queueing for long, as pretix does, without a round trip of its own.
    """
    params = _params(event_id, country_code)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        params["seat_lock_timeout"] = str(int(current_app.config["SEAT_LOCK_TIMEOUT_MS"]))
    statement = _look_statement(country_code is not None, postgres)
    rows = db.session.execute(statement, params).all()
    first = rows[0]
    return Look(
        capacity=first.capacity,
        taken=first.seats_confirmed,
        quotas={
            row.country_code: (row.seats, row.quota_taken)
            for row in rows
            if row.country_code is not None
        },
        queue_ahead=bool(first.queue_ahead),
    )


def lock_event(event_id: int) -> None:
    """Takes the event's row lock for a change of seats (held to commit; `events.locks`, the
    one lock of the event's row), waiting at most SEAT_LOCK_TIMEOUT_MS."""
    try:
        locks.lock_event(event_id, for_seats=True)
    except OperationalError as error:
        if locks.is_lock_timeout(error):
            raise SeatBusy() from error
        raise


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


def someone_waits(event_id: int, country_code: str | None) -> bool:
    return bool(
        db.session.scalar(
            select(_queue_ahead(country_code is not None)), _params(event_id, country_code)
        )
    )


def take_seat(
    event_id: int,
    country_code: str | None,
    *,
    respect_queue: bool = True,
    look: Look | None = None,
) -> tuple[bool, str | None]:
    """(seat taken, quota country it counts against). Call inside the caller's transaction,
    which holds the event's row lock from here to its commit: keep what follows short.

    Two statements in the usual case (`look` names the quotas the newcomer's country has):
    1. `UPDATE events SET seats_confirmed = seats_confirmed + 1 WHERE id = … AND seats_confirmed
       < capacity RETURNING …`: takes the event's row lock and counts the seat at once. Waiting
       for the lock, PostgreSQL (READ COMMITTED) rechecks the condition on the row as the last
       holder committed it (EvalPlanQual), so the counters it returns are current.
    2. The quota step, a statement of its own, so that its snapshot is taken after the lock is
       granted and sees every quota counter the last holder changed (joined to the first, the
       quotas would be those of the first statement's snapshot: stale, a seat was lost so):
       the country's quota seat by a conditional UPDATE, or, for a country without a quota,
       the seats reserved for the quotas not yet filled (they may not be taken by others).
    When the quota step refuses, the seat counted in 1 is given back (rare: the look said yes).
    Capacity and quotas are also CHECK constraints; the seats outside the quotas are kept by
    this step under the lock.
    """
    if respect_queue and someone_waits(event_id, country_code):
        return False, None
    try:
        if locks.lock_disabled_for_tests(locks.SEATS_SWITCH):
            # The race test's control run: the same steps, but the counters are read without
            # the lock and the seat is counted afterwards (guarded only by the conditional
            # UPDATE and the CHECK constraints), so the seats outside the quotas overbook.
            capacity, taken = db.session.execute(
                select(Event.capacity, Event.seats_confirmed)
                .where(Event.id == event_id)
                .execution_options(lanet_seat_step=True)
            ).one()
            if (capacity is not None and taken >= capacity) or _count_seat(event_id) is None:
                return False, None
        else:
            counted = _count_seat(event_id, marked=True)
            if counted is None:
                return False, None
            capacity, taken = counted.capacity, counted.seats_confirmed - 1
    except OperationalError as error:
        if locks.is_lock_timeout(error):
            raise SeatBusy() from error
        raise
    quota_first = country_code is not None and (look is None or country_code in look.quotas)
    quota_country, free = _quota_step(event_id, country_code, capacity, taken, quota_first)
    if not free:
        release_seat(event_id, None)
        return False, None
    return True, quota_country


@functools.cache
def _count_seat_statement(marked: bool):
    options = {"synchronize_session": False}
    if marked:
        options["lanet_seat_step"] = True
    return (
        update(Event)
        .where(
            Event.id == _EVENT_ID,
            or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
        )
        .values(seats_confirmed=Event.seats_confirmed + 1)
        .returning(Event.capacity, Event.seats_confirmed)
        .execution_options(**options)
    )


def _count_seat(event_id: int, *, marked: bool = False):
    """Counts one seat on the event if its capacity allows: (capacity, seats confirmed now),
    or None when the event is full. Takes the event's row lock."""
    return db.session.execute(_count_seat_statement(marked), {"seat_event_id": event_id}).first()


@functools.cache
def _pool_statement():
    """Seats reserved for quotas not yet filled (CHECK: confirmed <= seats), and whether the
    country has a quota here."""
    return select(
        func.coalesce(func.sum(EventQuota.seats - EventQuota.seats_confirmed), 0),
        func.coalesce(func.sum(case((EventQuota.country_code == _COUNTRY, 1), else_=0)), 0),
    ).where(EventQuota.event_id == _EVENT_ID)


@functools.cache
def _increment_quota_statement():
    return (
        update(EventQuota)
        .where(
            EventQuota.event_id == _EVENT_ID,
            EventQuota.country_code == _COUNTRY,
            EventQuota.seats_confirmed < EventQuota.seats,
        )
        .values(seats_confirmed=EventQuota.seats_confirmed + 1)
        .execution_options(synchronize_session=False)
    )


def _quota_step(
    event_id: int, country_code: str | None, capacity: int | None, taken: int, quota_first: bool
) -> tuple[str | None, bool]:
    """(quota country, seat free) once the event's seat is counted; `taken` counts the seats
    confirmed before this one."""
    if quota_first and _increment_quota(event_id, country_code):
        return country_code, True
    reserved, has_quota = db.session.execute(
        select(
            func.coalesce(func.sum(EventQuota.seats - EventQuota.seats_confirmed), 0),
            func.coalesce(func.sum(case((EventQuota.country_code == country_code, 1), else_=0)), 0),
        ).where(EventQuota.event_id == event_id)
    ).one()
    if has_quota:
        # Its quota is full (a quota country's people do not take the open seats), or the
        # quota was added after the look: its seats are this person's.
        if quota_first or not _increment_quota(event_id, country_code):
            return None, False
        return country_code, True
    if capacity is None:
        return None, True
    return None, taken + reserved < capacity


def _increment_quota(event_id: int, country_code: str) -> bool:
    result = db.session.execute(_increment_quota_statement(), _params(event_id, country_code))
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
