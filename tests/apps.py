"""App factories for the real servers some tests start (gunicorn names them by path).

`seat_race_app("off")` is LANET's own app with the seat lock switched off through its one
test switch, `SEAT_LOCK_DISABLED_FOR_TESTS`; "on" leaves the lock on. Both widen the moment
between reading the seat counters and deciding on them, the same in both runs, so the race the
lock prevents shows reliably on a 2-core machine instead of once in a while.
"""

from __future__ import annotations

import sys
import time

from flask import Flask
from sqlalchemy import event, text

# How long a seat-taker pauses after reading the event's counters (seconds).
SEAT_WINDOW = 0.5


def seat_race_app(lock: str = "on") -> Flask:
    from lanet import create_app
    from lanet.extensions import db

    if lock not in ("on", "off"):
        raise ValueError("lock is 'on' or 'off'")
    app = create_app({"SEAT_LOCK_DISABLED_FOR_TESTS": lock == "off"})
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "after_cursor_execute")
    def _pause_after_reading_counters(_conn, _cursor, _statement, _params, context, _many) -> None:
        # Both reads of the counters pause: the unlocked look (seats.look), which lines the
        # simultaneous requests up, and the seat step's first statement (seats.take_seat: the
        # conditional UPDATE that locks the event's row and counts the seat, or, with the lock
        # switched off, the plain read of the counters), on which the seat is decided.
        options = context.execution_options if context is not None else {}
        if options.get("lanet_seat_look") or options.get("lanet_seat_step"):
            time.sleep(SEAT_WINDOW)

    return app


# How long a capacity edit pauses after reading the event (seconds).
EDIT_WINDOW = 1.0
# Seats the control run waits to see taken while its edit holds stale numbers: above the
# margin of tests/test_events_concurrency.py (16), so the stale capacity is below what is taken.
CONTROL_SEATS_IN_WINDOW = 18


def edit_race_app(lock: str = "on") -> Flask:
    """LANET's app with the capacity-edit lock on or off (its one test switch,
    `EVENT_EDIT_LOCK_DISABLED_FOR_TESTS`); both pause after the edit reads the event, so the
    registrations that arrive meanwhile show what the lock is for."""
    from lanet import create_app
    from lanet.extensions import db

    if lock not in ("on", "off"):
        raise ValueError("lock is 'on' or 'off'")
    app = create_app({"EVENT_EDIT_LOCK_DISABLED_FOR_TESTS": lock == "off"})
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "handle_error")
    def _log_refusals(context) -> None:
        # Into the server log, where the test reads which constraint refused a write.
        print(f"database refused: {context.original_exception!r}", file=sys.stderr, flush=True)

    def _confirmed() -> int:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT coalesce(sum(seats_confirmed), 0) FROM events")
            ).scalar_one()

    def _until_seats_were_taken() -> None:
        # Without the lock the race is shown for sure, not by luck of timing: the stale edit
        # writes only after more seats went than the editor's margin, or after 5 s (full event).
        start, deadline = _confirmed(), time.monotonic() + 5
        while _confirmed() < start + CONTROL_SEATS_IN_WINDOW and time.monotonic() < deadline:
            time.sleep(0.02)

    @event.listens_for(engine, "after_cursor_execute")
    def _pause_after_the_edit_reads(_conn, _cursor, _statement, _params, context, _many) -> None:
        if context is not None and context.execution_options.get("lanet_event_edit_read"):
            if lock == "off":
                _until_seats_were_taken()
            else:
                time.sleep(EDIT_WINDOW)

    return app
