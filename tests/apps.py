"""App factories for the real servers some tests start (gunicorn names them by path).

`seat_race_app("off")` is LANET's own app with the seat lock switched off through its one
test switch, `SEAT_LOCK_DISABLED_FOR_TESTS`; "on" leaves the lock on. Both widen the moment
between reading the seat counters and writing them, the same in both runs, so the race the
lock prevents shows reliably on a 2-core machine instead of once in a while.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event

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
    def _pause_after_reading_counters(_conn, _cursor, statement, *_args) -> None:
        # Both reads of the counters pause: the unlocked look (seats.seat_looks_free), which
        # lines the simultaneous requests up, and seats.lock_event (FOR NO KEY UPDATE unless
        # switched off), on which the seat decision is made and written right after.
        if statement.lstrip().startswith("SELECT events.capacity, events.seats_confirmed"):
            time.sleep(SEAT_WINDOW)

    return app
