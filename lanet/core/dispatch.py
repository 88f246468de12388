"""After-commit dispatch: work a change causes is sent only once that change is committed.

The one mechanism every feature uses (mail delivery, calendar rebuilds, waiting-list
promotion, attendance totals). Actions wait in the session's `info`; the commit runs them,
a rollback forgets them, so a later commit never carries work for rows that are gone.
Identical requests within one transaction run once. A broker outage is logged and left to
each feature's periodic sweep (beat), which catches up: work is delayed, never lost.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from lanet.extensions import db

_PENDING = "lanet_after_commit"


def on_commit(action: Callable[[], object], *, key: Hashable | None = None) -> None:
    """Runs `action` once the current transaction commits; a rollback drops it.

    Actions with the same `key` run once per transaction (the first one queued wins).
    """
    session: Session = db.session()
    pending: dict[Hashable, Callable[[], object]] = session.info.setdefault(_PENDING, {})
    pending.setdefault(key if key is not None else object(), action)


def send_task(task_name: str, *args: Any, queue: str | None = None, **kwargs: Any) -> bool:
    """Sends a Celery task now; a broker failure is logged (beat's sweep catches up)."""
    options: dict[str, Any] = {"args": list(args), "kwargs": kwargs, "retry": False}
    if queue is not None:
        options["queue"] = queue
    try:
        current_app.extensions["celery"].send_task(task_name, **options)
    except Exception as error:  # any broker failure: the periodic sweep dispatches later
        current_app.logger.warning(
            "broker unavailable (%s); %s waits for its periodic sweep", error, task_name
        )
        return False
    return True


def send_after_commit(task_name: str, *args: Any, queue: str | None = None, **kwargs: Any) -> None:
    """Sends the Celery task by name after the current session commits; dropped on rollback."""
    key = ("task", task_name, queue, repr(args), repr(sorted(kwargs.items())))
    on_commit(lambda: send_task(task_name, *args, queue=queue, **kwargs), key=key)


def wake_after_commit(task_name: str, *, queue: str | None = None) -> None:
    """After the commit, wakes a task that takes no arguments and does whatever is due (mail
    delivery claims every due message): sent at once, but at most once per
    DISPATCH_WAKE_SECONDS per process; a commit within that window is covered by one send at
    its end, so the work still starts within the window after every commit.

    Why: in a storm of registrations each commit sent the same delivery task, ~1 ms of CPU a
    registration (issue 16); one send serves every commit before it. A send that fails or never
    happens (the process ends within the window) is the relay's, as in a broker outage:
    delayed, never lost.
    """
    on_commit(lambda: _waker(task_name, queue).wake(), key=("wake", task_name, queue))


def wake_window(app: Any) -> float:
    """DISPATCH_WAKE_SECONDS: unset, 0.25 s, or 0 (every commit sends) in tests (TESTING)."""
    configured = app.config.get("DISPATCH_WAKE_SECONDS")
    if configured is None:
        return 0.0 if app.config.get("TESTING") else 0.25
    return float(configured)


class _Waker:
    """One task's sends in this process: the last one's time, and the send scheduled for the
    end of the current window if a commit came within it (a timer thread)."""

    def __init__(self, task_name: str, queue: str | None) -> None:
        self.task_name, self.queue = task_name, queue
        self.lock = threading.Lock()
        self.last = -math.inf
        self.scheduled: threading.Timer | None = None

    def wake(self) -> None:
        app = current_app._get_current_object()
        now = time.monotonic()
        with self.lock:
            if self.scheduled is not None:
                return  # that send starts after this commit: it covers it
            due = self.last + wake_window(app)
            if now < due:
                self.scheduled = threading.Timer(due - now, self._scheduled, args=(app,))
                self.scheduled.daemon = True
                self.scheduled.start()
                return
            self.last = now
        send_task(self.task_name, queue=self.queue)

    def _scheduled(self, app: Any) -> None:
        with self.lock:
            self.scheduled = None
            self.last = time.monotonic()
        with app.app_context():
            send_task(self.task_name, queue=self.queue)

    def join(self) -> None:
        timer = self.scheduled
        if timer is not None:
            timer.join()


_WAKERS: dict[tuple[str, str | None], _Waker] = {}
_WAKERS_LOCK = threading.Lock()
# A forked child (a gunicorn worker) starts with no timers: it must not inherit the parent's.
os.register_at_fork(after_in_child=_WAKERS.clear)


def _waker(task_name: str, queue: str | None) -> _Waker:
    waker = _WAKERS.get((task_name, queue))
    if waker is None:
        with _WAKERS_LOCK:
            waker = _WAKERS.setdefault((task_name, queue), _Waker(task_name, queue))
    return waker


def wait_for_wakes() -> None:
    """Waits until every send scheduled by `wake_after_commit` in this process has gone."""
    for waker in list(_WAKERS.values()):
        waker.join()


# SQLAlchemy sends after_commit and after_rollback for a savepoint (begin_nested) too. A
# released savepoint commits nothing yet: its work waits for the outer commit. A savepoint
# rolled back drops only what was asked for inside it (a bulk send's failed row), not the
# outer transaction's work.
_SAVEPOINTS = "lanet_after_commit_savepoints"


@sa_event.listens_for(Session, "after_transaction_create")
def _savepoint_started(session: Session, transaction) -> None:
    if transaction.nested:
        snapshots = session.info.setdefault(_SAVEPOINTS, {})
        snapshots[id(transaction)] = dict(session.info.get(_PENDING, {}))


@sa_event.listens_for(Session, "after_transaction_end")
def _savepoint_ended(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.get(_SAVEPOINTS, {}).pop(id(transaction), None)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: nothing is committed until the outer transaction is
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    for action in pending.values():
        action()


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        snapshot = session.info.get(_SAVEPOINTS, {}).get(id(savepoint))
        if snapshot is not None:
            session.info[_PENDING] = dict(snapshot)
            return
    # The rows are gone, and so is the reason to dispatch: a later commit must not carry it.
    session.info.pop(_PENDING, None)
