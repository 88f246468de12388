"""Seats and quotas: who gets a confirmed seat, under the event's row lock.

`events.seats_confirmed` and `event_quotas.seats_confirmed` count the seats held, by confirmed
registrations and by open waiting-list offers; `events.quota_seats_confirmed` is the sum of
the quotas' counters (and `events.quota_seats` of their seats), kept on the event's row so
that the seat step decides from the one row it locks. The counters only move under the
event's row lock (the one lock of `lanet.events.locks`; taken by `take_seat`'s statement
itself, or by `lock_event` beforehand) and through conditional UPDATEs, and CHECK constraints
in the database keep them within capacity and quota whatever happens here.

A storm of registrations on one capped event serialises on that row lock, and a registration
holds it from its seat step to the end of its commit (the WAL flush included). So the
registration path (service.py) does everything else first (person, institution, the
registration's row, its audit entry and email) and the seat step is one statement right
before the commit on PostgreSQL (`take_seat`); a newcomer for whom the unlocked `look` finds
no seat does not take the lock at all.

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
    exists,
    func,
    or_,
    select,
    text,
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
    # How many of the same pool wait without an offer (None: not counted): a newcomer
    # waitlisted now comes right after them (standing.waiting, no statement of its own).
    queue_length: int | None = None

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


def pool_statement_parts(with_country: bool):
    """(the event id's bound parameter, `same_pool`'s filter) for statements built once that
    filter on the same pool (standing.py's place in line); execute with `pool_params`."""
    return _EVENT_ID, _same_pool(with_country)


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
def _queue_length(with_country: bool):
    """SQL: how many are ahead in line for the seats this newcomer would take, as
    `standing.position` counts them for one waitlisted now: the same pool, waitlisted
    without an offer, since before this moment (`clock_timestamp()`, not the transaction's
    start: a line that grew since then is counted as `position` would)."""
    return (
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == _EVENT_ID,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.offer_expires_at.is_(None),
            Registration.waitlisted_at <= func.clock_timestamp(),
            Registration.person_id == Person.id,
            _same_pool(with_country),
        )
        .scalar_subquery()
    )


@functools.cache
def _look_statement(with_country: bool, postgres: bool):
    columns = [
        Event.capacity,
        Event.seats_confirmed,
        EventQuota.country_code,
        EventQuota.seats,
        EventQuota.seats_confirmed.label("quota_taken"),
        _queue_ahead(with_country).label("queue_ahead"),
    ]
    if postgres:
        # The line's length too (PostgreSQL): a newcomer the look waitlists learns their
        # place from it (two thirds of a storm's requests: one statement fewer).
        columns.append(_queue_length(with_country).label("queue_length"))
        timeout = bindparam("seat_lock_timeout", type_=String)
        columns.append(func.set_config("lock_timeout", timeout, True).label("lock_timeout"))
    return (
        select(*columns)
        .outerjoin(EventQuota, EventQuota.event_id == Event.id)
        .where(Event.id == _EVENT_ID)
        .execution_options(lanet_seat_look=True)
    )


def look(event_id: int, country_code: str | None) -> Look:
    """Capacity, seats taken, quotas and how many of the same pool wait: one unlocked
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
        queue_length=first.queue_length if postgres else None,
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
    which holds the event's row lock from here to its commit: commit right after.

    The rule: a person of a country with a quota here takes a seat of that quota (never an
    open one); anyone else takes an open seat when the seats taken outside the quotas plus the
    seats the quotas reserve stay within capacity; nobody beyond capacity. On PostgreSQL one
    statement decides and counts (`_SEAT_STEP`), so the lock is held for that statement and
    the commit only. `look` (the newcomer's unlocked look) lets SQLite skip the quota UPDATE
    for a country it saw without a quota.
    """
    if respect_queue and someone_waits(event_id, country_code):
        return False, None
    try:
        if locks.lock_disabled_for_tests(locks.SEATS_SWITCH):
            return _take_seat_unlocked(event_id, country_code)
        if db.session.get_bind().dialect.name == "postgresql":
            row = db.session.execute(_seat_step(), _params(event_id, country_code)).first()
            return (True, row.quota_country) if row is not None else (False, None)
    except OperationalError as error:
        if locks.is_lock_timeout(error):
            raise SeatBusy() from error
        raise
    maybe_quota = country_code is not None and (look is None or country_code in look.quotas)
    return _take_seat_sqlite(event_id, country_code, maybe_quota)


# The seat step on PostgreSQL, one statement. In READ COMMITTED, the statement's snapshot is
# taken when it starts, before it waits for the lock, and it may predate the last holder's
# commit: what the statement reads plainly from that snapshot may be stale. So it decides only
# on rows it has locked, which PostgreSQL returns as last committed once the lock is granted:
# - `locked` takes the event's row lock (the one lock of lanet.events.locks, first as
#   everywhere): capacity, seats taken and the quotas' totals, current.
# - `locked_quota` then locks the country's quota row, if it has one here, and reads its
#   counter, current (nobody changes it without the event's lock, held by now).
# - `quota` counts the quota's seat if it has one free and the event is not full.
# - `counted` counts the event's seat (and the quota's, in the event's total) when `quota`
#   took one, or, for a country without a quota here, when the seats taken outside the quotas
#   plus the seats the quotas reserve stay below capacity.
# Both UPDATEs change rows this statement has locked, and their conditions and new values
# read only the locked values: an UPDATE first meets its row as the snapshot saw it, and only
# when it goes to write finds it changed and moves to the newest version (EvalPlanQual); a
# condition on the snapshot's version would wrongly refuse a seat freed meanwhile. And the
# CHECK constraints are checked on the row the UPDATE builds from the snapshot's version,
# before that move: so every column they read (seats and confirmed seats, capacity) is set
# from the locked row, unchanged values included, else a capacity raised or a seat freed and
# taken again since the snapshot fails `seats_within_capacity` or `seats_within_quota`.
# `tests/test_seat_step_concurrency.py` builds those stale snapshots. (The earlier seat step read the quotas in a
# statement of its own after the lock for this reason: joined to the locking UPDATE, they came
# from its snapshot and a seat was lost.) A quota added by an edit after the snapshot is not
# seen: that person is seated on an open seat if one is free, counted outside the quotas,
# which still hold every seat they reserve.
_SEAT_STEP_SQL = """
WITH locked AS (
    SELECT id, capacity, seats_confirmed, quota_seats, quota_seats_confirmed
    FROM events WHERE id = :seat_event_id
    FOR NO KEY UPDATE
), locked_quota AS (
    SELECT id, seats, seats_confirmed FROM event_quotas
    WHERE event_id = (SELECT id FROM locked) AND country_code = :seat_country
    FOR NO KEY UPDATE
), quota AS (
    UPDATE event_quotas
    SET seats_confirmed = locked_quota.seats_confirmed + 1, seats = locked_quota.seats
    FROM locked, locked_quota
    WHERE event_quotas.id = locked_quota.id
      AND locked_quota.seats_confirmed < locked_quota.seats
      AND (locked.capacity IS NULL OR locked.seats_confirmed < locked.capacity)
    RETURNING event_quotas.country_code
), counted AS (
    UPDATE events
    SET seats_confirmed = locked.seats_confirmed + 1, capacity = locked.capacity,
        quota_seats_confirmed = locked.quota_seats_confirmed + (SELECT count(*) FROM quota),
        quota_seats = locked.quota_seats
    FROM locked
    WHERE events.id = locked.id
      AND (locked.capacity IS NULL OR locked.seats_confirmed < locked.capacity)
      AND (EXISTS (SELECT FROM quota) OR (
          NOT EXISTS (SELECT FROM locked_quota)
          AND (locked.capacity IS NULL OR locked.seats_confirmed - locked.quota_seats_confirmed
               + locked.quota_seats < locked.capacity)
      ))
    RETURNING events.id
)
SELECT (SELECT country_code FROM quota) AS quota_country FROM counted
"""


@functools.cache
def _seat_step():
    return (
        text(_SEAT_STEP_SQL.strip())
        .bindparams(_EVENT_ID, _COUNTRY)
        .execution_options(lanet_seat_step=True)
    )


# SQLite has no row locks: its one writer lock is held from the transaction's first write
# (the registration's INSERT, flushed before the seat step), so these statements see the
# counters as they are. Two statements: a data-modifying CTE is PostgreSQL's.
@functools.cache
def _sqlite_quota_statement():
    event_not_full = exists().where(
        Event.id == _EVENT_ID,
        or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
    )
    return (
        _increment_quota_statement().where(event_not_full).execution_options(lanet_seat_step=True)
    )


@functools.cache
def _sqlite_count_statement():
    quota_taken = bindparam("seat_quota_taken", type_=Integer)
    has_quota = exists().where(EventQuota.event_id == Event.id, EventQuota.country_code == _COUNTRY)
    open_seat_free = or_(
        Event.capacity.is_(None),
        Event.seats_confirmed - Event.quota_seats_confirmed + Event.quota_seats < Event.capacity,
    )
    return (
        update(Event)
        .where(
            Event.id == _EVENT_ID,
            or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
            or_(quota_taken == 1, and_(~has_quota, open_seat_free)),
        )
        .values(
            seats_confirmed=Event.seats_confirmed + 1,
            quota_seats_confirmed=Event.quota_seats_confirmed + quota_taken,
        )
        .returning(Event.id)
        .execution_options(synchronize_session=False, lanet_seat_step=True)
    )


def _take_seat_sqlite(
    event_id: int, country_code: str | None, maybe_quota: bool
) -> tuple[bool, str | None]:
    params = _params(event_id, country_code)
    quota_taken = 0
    if maybe_quota:
        quota_taken = db.session.execute(_sqlite_quota_statement(), params).rowcount
    params["seat_quota_taken"] = quota_taken
    if db.session.execute(_sqlite_count_statement(), params).first() is None:
        if quota_taken:  # not under SQLite's one writer: both statements saw the same row
            _decrement_quota(event_id, country_code)
        return False, None
    return True, country_code if quota_taken else None


def _take_seat_unlocked(event_id: int, country_code: str | None) -> tuple[bool, str | None]:
    """The race test's control run (SEAT_LOCK_DISABLED_FOR_TESTS): the same rule, decided on
    counters read without the lock, then written by UPDATEs that only capacity, the quota's
    own seats and the CHECK constraints guard; so the seats outside the quotas overbook."""
    quota = EventQuota.__table__.alias("quota")
    row = db.session.execute(
        select(
            Event.capacity,
            Event.seats_confirmed,
            Event.quota_seats,
            Event.quota_seats_confirmed,
            quota.c.seats,
            quota.c.seats_confirmed.label("quota_taken"),
        )
        .outerjoin(quota, and_(quota.c.event_id == Event.id, quota.c.country_code == _COUNTRY))
        .where(Event.id == _EVENT_ID)
        .execution_options(lanet_seat_step=True),
        _params(event_id, country_code),
    ).one()
    capacity = row.capacity
    if capacity is not None and row.seats_confirmed >= capacity:
        return False, None
    if row.seats is not None:
        if row.quota_taken >= row.seats or not _increment_quota(event_id, country_code):
            return False, None
        quota_country = country_code
    else:
        outside = row.seats_confirmed - row.quota_seats_confirmed
        if capacity is not None and outside + row.quota_seats >= capacity:
            return False, None
        quota_country = None
    counted = db.session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
        )
        .values(
            seats_confirmed=Event.seats_confirmed + 1,
            quota_seats_confirmed=Event.quota_seats_confirmed + (1 if quota_country else 0),
        )
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        if quota_country:
            _decrement_quota(event_id, quota_country)
        return False, None
    return True, quota_country


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


def _increment_quota(event_id: int, country_code: str) -> bool:
    result = db.session.execute(_increment_quota_statement(), _params(event_id, country_code))
    return result.rowcount == 1


def _decrement_quota(event_id: int, quota_country: str) -> bool:
    result = db.session.execute(
        update(EventQuota)
        .where(
            EventQuota.event_id == event_id,
            EventQuota.country_code == quota_country,
            EventQuota.seats_confirmed > 0,
        )
        .values(seats_confirmed=EventQuota.seats_confirmed - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_seat(event_id: int, quota_country: str | None) -> None:
    """Gives a seat back (under the event's lock): the quota's counter and the event's, with
    the event's quota total when the seat was a quota's."""
    from_quota = bool(quota_country) and _decrement_quota(event_id, quota_country)
    db.session.execute(
        update(Event)
        .where(Event.id == event_id, Event.seats_confirmed > 0)
        .values(
            seats_confirmed=Event.seats_confirmed - 1,
            quota_seats_confirmed=Event.quota_seats_confirmed - (1 if from_quota else 0),
        )
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
