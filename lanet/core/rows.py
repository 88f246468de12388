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
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, bindparam, func, insert
from sqlalchemy import event as sa_event
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


@functools.cache
def _known_when_absent(mapper: Mapper) -> frozenset[str]:
    """The columns whose value is known once the row is written without one: NULL, since
    nothing gives them a value (no default, no server default, not generated). A flush leaves
    them unloaded, so reading one (e.g. `offer_expires_at` of a new waitlisted registration)
    reloaded the whole row: one SELECT more per registration."""
    return frozenset(
        column.key
        for column in mapper.local_table.columns
        if column.default is None
        and column.server_default is None
        and column.server_onupdate is None
        and column.computed is None
        and column.identity is None
        and not column.primary_key
    )


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
    _as_flushed(instance, written)
    return instance


def _as_flushed(instance: Any, written: dict[str, Any]) -> None:
    """Leaves a new object whose row `written` (column: value) was just INSERTed as a flush
    leaves it: persistent in the session, its written values and known NULLs loaded."""
    _set_written(sa_inspect(instance), written)
    make_transient_to_detached(instance)
    session = db.session()
    session.add(instance)
    # A flushed object is "new in this transaction": a rollback takes it out of the session.
    # One added as persistent is not, so this remembers it for `_rolled_back`.
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_WRITTEN, []).append((transaction, instance))


def _set_written(state: Any, written: dict[str, Any]) -> None:
    """Sets on the object what its row got and the object lacks: the values written (keys,
    Python-side defaults) and the NULLs of the columns nothing fills."""
    _, pairs, _ = _plan(state.mapper)
    null = _known_when_absent(state.mapper)
    attributes = state.dict
    for key, column in pairs:
        if attributes.get(key) is None:
            if column in written:
                attributes[key] = written[column]
            elif column in null:
                attributes[key] = None


def writes_together() -> bool:
    """Whether `insert_all` writes rows with drawn ids in one statement (PostgreSQL; SQLite
    has data-modifying CTEs for none of its statements)."""
    return db.session.get_bind().dialect.name == "postgresql"


def next_id(table: Table, label: str) -> ColumnElement:
    """A column for a SELECT (PostgreSQL): the next value of `table`'s id sequence, so that a
    statement the caller sends anyway draws the ids of the rows it will write (`insert_all`).
    A value drawn and not used is a gap, as a rolled-back INSERT leaves."""
    return func.nextval(func.pg_get_serial_sequence(table.name, "id")).label(label)


def insert_all(instances: Sequence[Any], *, left_out: Sequence[Any] = ()) -> None:
    """Writes new objects' rows as `insert_now` does, in this order. On PostgreSQL, when every
    object has its primary key set (drawn beforehand with `next_id`), in ONE statement of
    data-modifying CTEs: the rows do not refer to one another's generated keys, so nothing
    needs RETURNING, and the foreign keys and the tables' AFTER triggers are checked at the
    statement's end, when every row is there. Otherwise one INSERT each (SQLite).

    `left_out` (some of `instances`, one statement only): written, their values set as a
    flush sets them, but not added to the session, which saves its bookkeeping (~0.05 ms of
    CPU an object) for rows nothing changes later in the transaction (a registration's audit
    entry and email); `attach` adds one if it must change after all."""
    if not writes_together() or not all(_has_primary_key(instance) for instance in instances):
        for instance in instances:
            insert_now(instance)
        return
    shape, params, written_rows = [], {}, []
    for number, instance in enumerate(instances):
        state = sa_inspect(instance)
        _, pairs, _ = _plan(state.mapper)
        attributes = state.dict
        written = {
            column: attributes[key] for key, column in pairs if attributes.get(key) is not None
        }
        # The Python-side defaults a flush would fill in (times, flags), computed here since
        # there is no per-row result to read them from.
        for column, default in _python_defaults(state.mapper):
            if column not in written:
                written[column] = default.arg if default.is_scalar else default.arg(None)
        columns = tuple(sorted(written))
        shape.append((state.mapper, columns))
        params.update({f"w{number}_{column}": written[column] for column in columns})
        written_rows.append(written)
    db.session.connection().execute(_together_statement(tuple(shape)), params)
    outside = {id(instance) for instance in left_out}
    for instance, written in zip(instances, written_rows, strict=True):
        if id(instance) in outside:
            _set_written(sa_inspect(instance), written)
        else:
            _as_flushed(instance, written)


def attach(instance: Any) -> None:
    """Adds to the session, as a flush leaves it, an object `insert_all` wrote and left out
    (its row is written, its values set); nothing for one already in the session."""
    if sa_inspect(instance).transient:
        _as_flushed(instance, {})


def _has_primary_key(instance: Any) -> bool:
    state = sa_inspect(instance)
    _, _, primary_key = _plan(state.mapper)
    return all(state.dict.get(column) is not None for column in primary_key)


@functools.cache
def _python_defaults(mapper: Mapper) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (column.key, column.default)
        for column in mapper.local_table.columns
        if column.default is not None and (column.default.is_scalar or column.default.is_callable)
    )


@functools.cache
def _together_statement(shape: tuple[tuple[Mapper, tuple[str, ...]], ...]) -> Any:
    """`insert_all`'s statement for this shape (the tables in order, the columns given),
    built once: each row's INSERT with bound parameters, all but the last as CTEs."""
    statements = []
    for number, (mapper, columns) in enumerate(shape):
        table = mapper.local_table
        statements.append(
            insert(table).values(
                {
                    column: bindparam(f"w{number}_{column}", type_=table.c[column].type)
                    for column in columns
                }
            )
        )
    last = statements[-1]
    if len(statements) == 1:
        return last
    return last.add_cte(
        *(statement.cte(f"written_{n}") for n, statement in enumerate(statements[:-1]))
    )


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
