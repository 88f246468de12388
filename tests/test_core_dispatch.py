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
