"""After-commit dispatch: sent once the change commits, never after a rollback, once per key."""

from __future__ import annotations

import pytest

from lanet.core import dispatch
from lanet.core.models import StoredFile


@pytest.fixture
def sent(app, monkeypatch):
    calls: list[tuple] = []
    celery_app = app.extensions["celery"]

    def send_task(name, args=(), kwargs=None, **options):
        calls.append((name, tuple(args), kwargs or {}, options.get("queue")))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    return calls


def _change(db) -> None:
    db.session.add(StoredFile(key="k", content_type="text/plain", content=b"x", etag="e"))


def test_sent_only_after_the_commit(db, sent):
    _change(db)
    dispatch.send_after_commit("lanet.test.task", 7, queue="calendars", flag=True)
    assert sent == []
    db.session.commit()
    assert sent == [("lanet.test.task", (7,), {"flag": True}, "calendars")]
    db.session.commit()  # a later commit does not repeat it
    assert len(sent) == 1


def test_a_rollback_drops_it_and_a_later_commit_does_not_carry_it(db, sent):
    _change(db)
    dispatch.send_after_commit("lanet.test.task", 1)
    db.session.rollback()
    _change(db)
    db.session.commit()
    assert sent == []


def test_identical_requests_in_one_transaction_are_sent_once(db, sent):
    _change(db)
    for _ in range(3):
        dispatch.send_after_commit("lanet.test.task", 1)
    dispatch.send_after_commit("lanet.test.task", 2)
    db.session.commit()
    assert sent == [("lanet.test.task", (1,), {}, None), ("lanet.test.task", (2,), {}, None)]


def test_a_broker_failure_is_logged_not_raised(app, db, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app.extensions["celery"], "send_task", down)
    _change(db)
    dispatch.send_after_commit("lanet.test.task", 1)
    db.session.commit()
    assert "broker unavailable" in caplog.text
    assert dispatch.send_task("lanet.test.task") is False


def test_a_released_savepoint_sends_nothing_before_the_outer_commit(db, sent):
    """SQLAlchemy runs after_commit for a savepoint too: the work still waits for the commit."""
    _change(db)
    dispatch.send_after_commit("lanet.test.task", 1)
    with db.session.begin_nested():
        dispatch.send_after_commit("lanet.test.task", 2)
    assert sent == []
    db.session.commit()
    assert sorted(args for _name, args, _kw, _q in sent) == [(1,), (2,)]


def test_a_savepoint_rolled_back_drops_only_its_own_work(db, sent):
    _change(db)
    dispatch.send_after_commit("lanet.test.task", 1)
    savepoint = db.session.begin_nested()
    dispatch.send_after_commit("lanet.test.task", 2)
    savepoint.rollback()
    with db.session.begin_nested():
        dispatch.send_after_commit("lanet.test.task", 3)
    assert sent == []
    db.session.commit()
    assert sorted(args for _name, args, _kw, _q in sent) == [(1,), (3,)]


# --- waking a task that does whatever is due (mail delivery), coalesced per process ---------


@pytest.fixture
def timed_sends(app, monkeypatch):
    """The wake sends, with when each was made; DISPATCH_WAKE_SECONDS 0.3 (tests run with 0)."""
    import time

    calls: list[tuple[str, str | None, float]] = []
    celery_app = app.extensions["celery"]

    def send_task(name, args=(), kwargs=None, **options):
        calls.append((name, options.get("queue"), time.monotonic()))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    monkeypatch.setitem(app.config, "DISPATCH_WAKE_SECONDS", 0.3)
    monkeypatch.setattr(dispatch, "_WAKERS", {})
    yield calls
    dispatch.wait_for_wakes()


def _commit_a_wake(db) -> float:
    import time

    _change(db)
    dispatch.wake_after_commit("lanet.test.due", queue="mail")
    db.session.commit()
    db.session.query(StoredFile).delete()
    db.session.commit()
    return time.monotonic()


def test_a_wake_is_sent_at_once_then_once_per_window_covering_every_commit(db, timed_sends):
    import time

    committed = [_commit_a_wake(db) for _ in range(5)]
    assert len(timed_sends) == 1  # the first at once, the four others wait for the window's end
    assert timed_sends[0][2] <= committed[0]
    dispatch.wait_for_wakes()
    assert [(name, queue) for name, queue, _at in timed_sends] == [("lanet.test.due", "mail")] * 2
    first, second = timed_sends[0][2], timed_sends[1][2]
    # The second send starts after every commit it covers, and within the window of the first.
    assert second >= committed[-1]
    assert 0.25 <= second - first <= 1.5
    # A commit after the window: sent at once again.
    time.sleep(0.35)
    _commit_a_wake(db)
    assert len(timed_sends) == 3
    dispatch.wait_for_wakes()
    assert len(timed_sends) == 3


def test_a_wake_is_not_sent_after_a_rollback(db, timed_sends):
    _change(db)
    dispatch.wake_after_commit("lanet.test.due", queue="mail")
    db.session.rollback()
    dispatch.wait_for_wakes()
    assert timed_sends == []


def test_a_scheduled_wake_that_meets_a_broker_failure_is_logged(app, db, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "DISPATCH_WAKE_SECONDS", 0.2)
    monkeypatch.setattr(dispatch, "_WAKERS", {})
    calls = []

    def down(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("broker down")

    monkeypatch.setattr(app.extensions["celery"], "send_task", down)
    _commit_a_wake(db)
    _commit_a_wake(db)
    dispatch.wait_for_wakes()
    assert len(calls) == 2
    assert caplog.text.count("broker unavailable") == 2
