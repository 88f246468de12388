"""One-statement reads for the public pages (issue 16): plain rows, no ORM objects, and for
an anonymous visitor no transaction.

Through the ORM session, a page's one SELECT cost four round trips (the pool's ping, BEGIN,
the statement, ROLLBACK when the session ends) and an ORM result. A single statement needs
no transaction to see a consistent snapshot, so when the request's session has not begun one
the statement runs on a connection in autocommit mode: the statement alone. When the session
is already in a transaction (a signed-in visitor's user was loaded), the statement joins it:
same snapshot, no second connection.

A signed-in page that only reads (`read_only_request`, e.g. the organizers' registrations
page) runs all its statements that way: the user's, the event's and the page's own. Under
READ COMMITTED (PostgreSQL's default, and the app's) every statement of a transaction takes
its own snapshot anyway, so the reads see exactly what they saw in one; what goes is BEGIN
and the ROLLBACK that ends the session, two round trips, and above all what that ROLLBACK
did to psycopg: it forgets the connection's prepared statements on every rollback, so a
statement that only such pages run was never prepared and PostgreSQL parsed and planned
each of them on every request (2 of the page's ~4 ms of server CPU). A write attempted
through the session on such a request is refused (`ReadOnlyRequest`): it would commit on
its own, outside any transaction.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Row, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from lanet.extensions import db

# Set in the session's `info` for a request that only reads (`read_only_request`).
READ_ONLY = "lanet_read_only"


class ReadOnlyRequest(RuntimeError):
    """A write through the session of a request declared read-only."""


_AUTOCOMMIT: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _autocommit(engine: Engine) -> Engine:
    # Same pool; each checkout sets autocommit and the pool's return resets it.
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        found = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


def read_rows(statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
    """Every row of one read-only statement (see the module's docstring)."""
    session = db.session()
    if session.in_transaction():
        return session.connection().execute(statement, params).all()
    with _autocommit(db.engine).connect() as connection:
        return connection.execute(statement, params).all()


def read_only_request() -> bool:
    """Runs the rest of this request's statements on an autocommit connection (see the
    module's docstring); call before its first statement. Answers whether it took effect: a
    session already in a transaction stays in it."""
    session = db.session()
    if session.in_transaction():
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[READ_ONLY] = True
    return True


def _refuse_write(state: ORMExecuteState) -> None:
    if state.session.info.get(READ_ONLY) and (
        state.is_insert or state.is_update or state.is_delete
    ):
        raise ReadOnlyRequest("a write on a read-only request")


def _refuse_flush(session: Session, *args: Any) -> None:
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyRequest("a write on a read-only request")


def _forget_read_only(session: Session, *args: Any) -> None:
    # The autocommit connection goes with the session's transaction; whatever begins after
    # it (the next request, where a session outlives one) is an ordinary transaction.
    session.info.pop(READ_ONLY, None)


event.listen(Session, "do_orm_execute", _refuse_write)
event.listen(Session, "before_flush", _refuse_flush)
event.listen(Session, "after_transaction_end", _forget_read_only)
