"""`lanet.core.rows.insert_now`: a row written at once, its object as a flush leaves it, and a
rollback undoing both (the object leaves the session, as a flushed new object does).
`insert_all`: rows with drawn ids written together, one statement on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from lanet.core import rows
from lanet.core.audit import AuditEntry
from lanet.mail.models import OutboxMessage
from tests.test_statement_counts import counted


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


def test_a_column_nothing_fills_is_known_as_null_without_a_reload(db) -> None:
    """A column left out of the INSERT with no default of any kind is NULL: reading it must
    not reload the row (a new waitlisted registration's `offer_expires_at` did, one SELECT
    per registration)."""
    entry = rows.insert_now(_entry("a"))
    with counted() as statements:
        assert entry.user_id is None and entry.actor is None
    assert statements == []


def _draw(db, *tables) -> list[int]:
    return list(
        db.session.execute(select(*(rows.next_id(t, f"t{n}") for n, t in enumerate(tables)))).one()
    )


def test_rows_with_drawn_ids_are_written_in_one_statement(db, on_postgres) -> None:
    entry = _entry("together")
    message = OutboxMessage(
        message_id="<together@lanet.test>",
        recipient_email="ana@example.org",
        template="t",
        context={"registration": 7},
    )
    if on_postgres:
        entry.id, message.id = _draw(db, AuditEntry.__table__, OutboxMessage.__table__)
    with counted() as statements:
        rows.insert_all([entry, message])
    # One statement on PostgreSQL; SQLite (no data-modifying CTEs, no ids drawn): one each.
    assert len(statements) == (1 if on_postgres else 2), statements
    for written in (entry, message):
        assert written.id is not None and written in db.session
        assert not db.session.dirty and not db.session.new
    assert entry.at is not None and message.status == "pending" and message.attempts == 0
    with counted() as statements:  # known: no reload
        assert message.sent_at is None and message.headers is None
    assert statements == []
    message.template = "changed"  # a later change is flushed as an UPDATE
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).template == "changed"
    assert db.session.get(OutboxMessage, message.id).context == {"registration": 7}
    assert db.session.get(AuditEntry, entry.id).changes == {"n": "together"}


def test_a_rollback_takes_rows_written_together_out(db, on_postgres) -> None:
    entry = _entry("gone")
    if on_postgres:
        (entry.id,) = _draw(db, AuditEntry.__table__)
    rows.insert_all([entry])
    db.session.rollback()
    assert entry not in db.session and _count(db) == 0


def test_a_row_left_out_of_the_session_is_written_and_can_be_attached(db, on_postgres) -> None:
    """`left_out`: the row is written, the object keeps its values outside the session (a
    registration's audit entry and email, which nothing changes later); `attach` adds it as
    a flush leaves it, so a later change is an UPDATE."""
    kept, out = _entry("kept"), _entry("out")
    if on_postgres:
        kept.id, out.id = _draw(db, AuditEntry.__table__, AuditEntry.__table__)
    rows.insert_all([kept, out], left_out=[out])
    assert kept in db.session
    # SQLite writes one INSERT each and keeps both in the session (no ids drawn).
    assert (out not in db.session) is on_postgres
    assert out.id is not None and out.at is not None and out.user_id is None
    rows.attach(out)
    assert out in db.session and not db.session.dirty
    out.changes = {"n": "changed"}
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditEntry, out.id).changes == {"n": "changed"}
    assert _count(db) == 2
