"""App factories for the real servers some tests start (gunicorn names them by path).

`seat_race_app("off")` is LANET's own app with the seat lock switched off through its one
test switch, `SEAT_LOCK_DISABLED_FOR_TESTS`; "on" leaves the lock on. Both widen the moment
between reading the seat counters and deciding on them, the same in both runs. The control run
("off") also holds each seat decision until several requests have read the counters: the race
the lock prevents then shows on every run, on a fast machine or a slow one, instead of
depending on how the threads happened to interleave (CI once saw none).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import event, text

# How long a seat-taker pauses after reading the event's counters (seconds). With the lock
# the seat steps take turns, each holding the lock through its pause: 30 applicants, ~6 s.
SEAT_WINDOW = 0.2
# The control run's seat decisions wait until this many requests have read the counters (or
# CONTROL_WAIT seconds passed): more than the seats left outside the quotas in
# tests/test_registration_concurrency.py (4), so stale reads are sure to overbook them.
CONTROL_READERS = 8
CONTROL_WAIT = 5.0


def seat_race_app(lock: str = "on", readers_file: str | None = None) -> Flask:
    """`readers_file`: where the control run's worker processes count the counters' reads
    (one byte appended per read; gunicorn's workers share no memory)."""
    from lanet import create_app
    from lanet.extensions import db

    if lock not in ("on", "off"):
        raise ValueError("lock is 'on' or 'off'")
    if lock == "off" and not readers_file:
        raise ValueError("the control run counts its readers in readers_file")
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
        if lock == "off" and options.get("lanet_seat_step"):
            _until_enough_have_read(readers_file)

    return app


def _until_enough_have_read(readers_file: str) -> None:
    descriptor = os.open(readers_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, b".")
    finally:
        os.close(descriptor)
    _wait_until(lambda: os.path.getsize(readers_file) >= CONTROL_READERS, CONTROL_WAIT, 0.01)


def _wait_until(done: Callable[[], bool], seconds: float, step: float) -> None:
    """Polls `done` every `step` seconds until it holds or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(step)


# How long a capacity edit pauses after reading the event (seconds).
EDIT_WINDOW = 1.0
# How long each registration pauses after its unlocked look at the seats (seconds), in both
# runs: 15 clients then take at most ~75 seats a second, so the editor's edits land while the
# storm still flows (unpaced, 100 registrations were over in a second and a slow CI machine
# saw the storm end before the control's first stale edit wrote).
REGISTRATION_PACE = 0.2
# Seats the control run waits to see taken while an edit without a capacity holds stale
# numbers: above the margin of tests/test_events_concurrency.py (16).
CONTROL_SEATS_IN_WINDOW = 18


def edit_race_app(lock: str = "on") -> Flask:
    """LANET's app with the capacity-edit lock on or off (its one test switch,
    `EVENT_EDIT_LOCK_DISABLED_FOR_TESTS`); both pause after the edit reads the event, so the
    registrations that arrive meanwhile show what the lock is for."""
    from flask import has_request_context, request

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

    def _capacity_asked() -> int | None:
        body = request.get_json(silent=True) if has_request_context() else None
        capacity = body.get("capacity") if isinstance(body, dict) else None
        return capacity if isinstance(capacity, int) else None

    def _until_seats_were_taken() -> None:
        # Without the lock the race is shown for sure, not by luck of timing: the stale edit
        # writes only once more seats are taken than the capacity it asks for, or after 3 s
        # (the event is full, or the edit raises the capacity beyond what the storm reaches).
        asked = _capacity_asked()
        enough = asked + 1 if asked is not None else _confirmed() + CONTROL_SEATS_IN_WINDOW
        _wait_until(lambda: _confirmed() >= enough, 3, 0.02)

    @event.listens_for(engine, "after_cursor_execute")
    def _pause_after_reading(_conn, _cursor, _statement, _params, context, _many) -> None:
        options = context.execution_options if context is not None else {}
        if options.get("lanet_seat_look"):
            time.sleep(REGISTRATION_PACE)
        elif options.get("lanet_event_edit_read"):
            if lock == "off":
                _until_seats_were_taken()
            else:
                time.sleep(EDIT_WINDOW)

    return app
