"""Pooled connections the server ended are replaced on checkout, without a ping per request
(lanet/core/connections.py, issue 16)."""

from __future__ import annotations

import time

import psycopg
import pytest

from lanet.core.connections import idle_socket_has_data
from tests import services

pytestmark = pytest.mark.services


def _end_every_backend(database: str) -> int:
    """What a PostgreSQL restart does to each connection: a FATAL message (57P01), then the
    socket closed (pg_terminate_backend sends the same message as a fast shutdown)."""
    with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]


def _idle_connections(engine) -> list:
    pool = engine.pool
    return [record.dbapi_connection for record in list(pool._pool.queue)]


@pytest.fixture()
def pings(db, monkeypatch, on_postgres) -> list[int]:
    if not on_postgres:
        pytest.skip("the checkout check is PostgreSQL's (psycopg)")
    engine = db.engine
    assert engine.pool._pre_ping is False  # replaced by the checkout check
    calls: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection) -> bool:
        calls.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return calls


def test_a_healthy_pooled_connection_is_used_without_a_ping(client, db, pings) -> None:
    assert client.get("/events?lang=en").status_code == 200
    db.session.remove()
    assert all(not idle_socket_has_data(c) for c in _idle_connections(db.engine))
    for _ in range(5):
        assert client.get("/events?lang=en").status_code == 200
        assert client.get("/events/none-such/agenda?lang=en").status_code == 404
    assert pings == []


def test_connections_ended_by_the_server_are_replaced_and_the_page_answers(
    client, db, pings
) -> None:
    assert client.get("/events?lang=en").status_code == 200
    db.session.remove()  # every connection back in the pool, idle
    idle = _idle_connections(db.engine)
    assert idle
    assert _end_every_backend(db.engine.url.database) >= len(idle)
    deadline = time.monotonic() + 5
    while not all(idle_socket_has_data(c) for c in idle) and time.monotonic() < deadline:
        time.sleep(0.02)
    # The first checkout finds the FATAL message, pings (which fails), invalidates the pool
    # and opens a new connection: the visitor gets the page, not the 503 of an outage.
    page = client.get("/events?lang=en")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    agenda = client.get("/events/none-such/agenda?lang=en")
    assert agenda.status_code == 404
    assert len(pings) == 1
    db.session.remove()
    assert client.get("/events?lang=en").status_code == 200
    assert len(pings) == 1
