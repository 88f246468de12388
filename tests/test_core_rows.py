"""`lanet.core.rows.insert_now`: a row written at once, its object as a flush leaves it, and a
rollback undoing both (the object leaves the session, as a flushed new object does)."""

from __future__ import annotations

from sqlalchemy import func, select

from lanet.core import rows
from lanet.core.audit import AuditEntry


def _entry(action: str) -> AuditEntry:
    return AuditEntry(action=action, object_type="test", object_id=1, changes={"n": action})


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_the_object_is_persistent_and_clean_with_its_defaults(db) -> None:
    entry = rows.insert_now(_entry("a"))
    assert entry.id is not None and entry.at is not None  # the key and a Python-side default
    assert entry in db.session and not db.session.dirty and not db.session.new
    entry.changes = {"n": "changed"}  # a later change is flushed as an UPDATE
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id).changes == {"n": "changed"}


def test_a_rollback_takes_the_object_out_and_a_reused_key_attaches(db) -> None:
    first = rows.insert_now(_entry("a"))
    db.session.rollback()
    assert first not in db.session
    assert _count(db) == 0
    # SQLite gives the next row the same id: without the rollback's cleanup the session would
    # refuse a second object with that key.
    second = rows.insert_now(_entry("b"))
    db.session.commit()
    assert _count(db) == 1 and second in db.session


def test_a_savepoint_rolled_back_takes_out_only_its_own_objects(db) -> None:
    outer = rows.insert_now(_entry("outer"))
    savepoint = db.session.begin_nested()
    inner = rows.insert_now(_entry("inner"))
    savepoint.rollback()
    assert inner not in db.session and outer in db.session
    with db.session.begin_nested():
        kept = rows.insert_now(_entry("kept"))
    db.session.commit()
    assert kept in db.session
    assert sorted(db.session.scalars(select(AuditEntry.action))) == ["kept", "outer"]
