"""The event row lock: the one lock under which seats, capacity, quotas and the event's status
change.

Capacity or quota edits and status changes (event management), and every change of the seat
counters (registration: seat-taking, cancelling, approving, offering the waiting list) take
this lock, so an edit sees the confirmed seats as they are and no seat is confirmed in between.
Registration's hot path takes the same row lock without this function: its seat step
(registration/seats.py) locks the row and counts the seat in one statement.

FOR NO KEY UPDATE: rows inserted with a foreign key to the event (registrations, outbox
messages, audit entries) take KEY SHARE locks on it, which a plain FOR UPDATE would wait for.

How long a caller waits for the lock is bounded with `bounded_wait` (PostgreSQL's `SET LOCAL
lock_timeout`); past it the database refuses the statement and `is_lock_timeout` recognises
the error, which the caller turns into its own "busy, try again" answer.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, text

from lanet.events.models import Event
from lanet.extensions import db

# The test switches (set only by tests/apps.py, never from the environment): a race test turns
# one lock off to show the race it prevents, as pretix's skip-locking debug flag does.
EDIT_SWITCH = "EVENT_EDIT_LOCK_DISABLED_FOR_TESTS"
SEATS_SWITCH = "SEAT_LOCK_DISABLED_FOR_TESTS"


def lock_disabled_for_tests(switch: str) -> bool:
    return bool(current_app.config.get(switch))


def bounded_wait(milliseconds: int) -> None:
    """Waits for row locks at most this long until the transaction ends (PostgreSQL; SQLite
    has no row locks). LOCAL: the pooled connection keeps its default afterwards."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL lock_timeout = {int(milliseconds)}"))


def is_lock_timeout(error: BaseException) -> bool:
    """Whether a database error is PostgreSQL's lock_not_available (the wait ran out)."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) == "55P03"


def lock_event(event_id: int, *, for_seats: bool = False) -> Event | None:
    """The event, locked until the transaction ends and read fresh from the database.

    `for_seats`: the lock is taken to change seat counters (registration), so registration's
    test switch and read marker apply, and the wait is bounded by SEAT_LOCK_TIMEOUT_MS; else it
    is an edit's lock (its own switch and marker, waits as long as it takes). With the switch
    on, the same row is read without the lock. Same algorithm either way.
    """
    marker = "lanet_seat_step" if for_seats else "lanet_event_edit_read"
    query = (
        select(Event)
        .where(Event.id == event_id)
        .execution_options(populate_existing=True, **{marker: True})
    )
    if not lock_disabled_for_tests(SEATS_SWITCH if for_seats else EDIT_SWITCH):
        query = query.with_for_update(key_share=True)
    if for_seats:
        bounded_wait(current_app.config["SEAT_LOCK_TIMEOUT_MS"])
    return db.session.scalar(query)
