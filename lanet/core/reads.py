"""One-statement reads for the public pages (issue 16): plain rows, no ORM objects, and for
an anonymous visitor no transaction.

Through the ORM session, a page's one SELECT cost four round trips (the pool's ping, BEGIN,
the statement, ROLLBACK when the session ends) and an ORM result. A single statement needs
no transaction to see a consistent snapshot, so when the request's session has not begun one
the statement runs on a connection in autocommit mode: the statement alone. When the session
is already in a transaction (a signed-in visitor's user was loaded), the statement joins it:
same snapshot, no second connection.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.engine import Engine

from lanet.extensions import db

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
