"""Pooled PostgreSQL connections checked on checkout without a round trip (issue 16).

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` each time a request takes a connection from
the pool: one more round trip, and work for the database, on every request that reads
anything. What it guards against is a connection the server dropped while it sat in the
pool. When PostgreSQL shuts down (fast or immediate), restarts, crashes, or ends a backend
(`pg_terminate_backend`, `idle_session_timeout`), the server sends a FATAL message and closes
the socket, or the kernel closes it: either way the idle connection's socket becomes
readable. A healthy idle connection has nothing to read. So on checkout the kernel is asked
(poll, timeout 0) whether anything arrived; only then is the connection pinged for real, and
a failed ping invalidates the whole pool, as `pool_pre_ping` does. A connection that nothing
arrived on is used as it is.

What neither check sees at once: a server that vanished without a FIN or a reset (a host
powered off, a middlebox dropping idle flows silently); `SELECT 1` would wait on that socket
as the first statement does. If something slips through (a FATAL read into libpq's buffer
together with the previous result), the statement fails, SQLAlchemy invalidates the pool and
the request gets the 503 page of `core/errors.py`: the behaviour of an outage, never a 500.

Other drivers (SQLite) keep `pool_pre_ping` as configured.
"""

from __future__ import annotations

import select
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine


def _uses_psycopg(url: str) -> bool:
    return url.startswith("postgresql+psycopg://")


def configure(app: Flask) -> None:
    """Before the engine is made: on psycopg, the checkout check replaces `pool_pre_ping`."""
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    if _uses_psycopg(app.config["SQLALCHEMY_DATABASE_URI"]) and options.get("pool_pre_ping"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "pool_pre_ping": False}
        app.config["LANET_CHECKOUT_POLL"] = True


def install(app: Flask, engine: Engine) -> None:
    """After the engine is made (see `configure`)."""
    if not app.config.get("LANET_CHECKOUT_POLL"):
        return
    dialect = engine.dialect

    def check_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not idle_socket_has_data(dbapi_connection):
            return
        try:
            # pool_pre_ping's own ping: SELECT 1 in autocommit, no transaction left open.
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001  (whatever failed, this connection is gone)
            # As pool_pre_ping: every connection opened before now is replaced (they all met
            # the same restart), and the checkout is tried again on a new connection.
            raise exc.InvalidatePoolError() from error

    event.listen(engine, "checkout", check_on_checkout)


def idle_socket_has_data(dbapi_connection: Any) -> bool:
    """True when something (a FATAL message, the end of the stream, an error) arrived on an
    idle connection's socket, or when the connection is already known to be unusable."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    poller = select.poll()
    # POLLERR and POLLHUP are always reported; POLLIN covers a message and the end of stream.
    poller.register(dbapi_connection.pgconn.socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
