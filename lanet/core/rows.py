"""Writing one new row at once with a Core INSERT, for the hot paths (issue 16).

The ORM's unit of work (sorting the session's changes, one mapper pass per object, its
events) cost more CPU per registration than the statements themselves: ~a quarter of a
registration's CPU for three flushes of one row each. `insert_now` writes a new object's row
with the same values a flush would, and leaves the object as a flush leaves it: persistent,
clean, its primary key and Python-side defaults set. Later changes to it are flushed as
UPDATEs as usual; a rollback of its transaction (or savepoint) takes it out of the session, as
it does a flushed new object.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapper, Session, SessionTransaction, make_transient_to_detached

from lanet.extensions import db

T = TypeVar("T")


@functools.cache
def _plan(mapper: Mapper) -> tuple[Any, tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Per mapped class, once: its INSERT (the values come as bound parameters, so SQLAlchemy
    compiles it once per set of columns given), its (attribute, column) pairs, and its
    primary key's columns."""
    table = mapper.local_table
    pairs = tuple((prop.key, prop.columns[0].key) for prop in mapper.column_attrs)
    return insert(table), pairs, tuple(c.key for c in table.primary_key.columns)


def insert_now(instance: T) -> T:
    """INSERTs a new (transient) ORM object's row now and adds the object to the session as
    persistent. Like a flush: columns whose value is None are left out, so their defaults
    apply; the others are written as they are. Relationships are not followed: the rows this
    one refers to must be written already (the caller's order), and collections must be empty.
    """
    state = sa_inspect(instance)
    statement, pairs, primary_key = _plan(state.mapper)
    attributes = state.dict
    values = {column: attributes[key] for key, column in pairs if attributes.get(key) is not None}
    # On the session's connection (its transaction): a Core statement gains nothing from the
    # session's own execute, which costs a third more CPU.
    result = db.session.connection().execute(statement, values)
    # What the row got, as a flush would set it: the primary key, and each Python-side default
    # (times, flags). Set as loaded values: make_transient_to_detached takes them as committed.
    written = dict(result.last_inserted_params())
    written.update(zip(primary_key, result.inserted_primary_key, strict=True))
    for key, column in pairs:
        if attributes.get(key) is None and column in written:
            attributes[key] = written[column]
    make_transient_to_detached(instance)
    session = db.session()
    session.add(instance)
    # A flushed object is "new in this transaction": a rollback takes it out of the session.
    # One added as persistent is not, so this remembers it for `_rolled_back`.
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_WRITTEN, []).append((transaction, instance))
    return instance


_WRITTEN = "lanet_rows_written"


@sa_event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Takes out of the session the objects `insert_now` wrote in the transaction (or savepoint)
    rolled back, as a rollback does with flushed ones: their rows are gone, and a later row may
    get the same key (SQLite reuses ids)."""
    written = session.info.get(_WRITTEN)
    if not written:
        return
    kept = []
    for transaction, instance in written:
        inside = transaction
        while inside is not None and inside is not previous_transaction:
            inside = inside.parent
        if inside is None:
            kept.append((transaction, instance))
        elif instance in session:
            session.expunge(instance)
    session.info[_WRITTEN] = kept


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)
