"""The outbox with real processes: Celery workers and beat over Redis, PostgreSQL, and a real
SMTP server that goes down, a worker killed with SIGKILL, and a broker that stops."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from lanet import create_app
from lanet.mail import service
from lanet.mail.models import OutboxMessage
from tests.fixtures.mail import sink_env
from tests.processes import Process, free_port, start_beat, start_worker, wait_for_port

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _needs_postgres_and_redis(on_postgres):
    if not on_postgres:
        pytest.skip("real workers need PostgreSQL and Redis (LANET_TEST_DB=postgres)")


def fast_env(env: dict[str, str]) -> dict[str, str]:
    """Seconds instead of minutes: relay, backoff and claim lease."""
    return {
        **env,
        "MAIL_RELAY_SECONDS": "1",
        "MAIL_RETRY_BASE_SECONDS": "1",
        "MAIL_SENDING_TIMEOUT": "5",
        "MAIL_BATCH_SIZE": "10",
        "MAIL_RATE_PER_MINUTE": "0",
    }


def stop_all(*processes: Process) -> None:
    """Ends the test's processes at once: their clean shutdown is not what is tested."""
    for process in processes:
        process.kill(signal.SIGKILL)
        process.stop()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def statuses(db) -> dict[str, int]:
    db.session.rollback()  # a fresh snapshot of what the workers wrote
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return dict(rows.all())


def queue_many(db, count: int) -> list[str]:
    messages = [
        service.queue_message(
            to=f"participant{n}@example.org", template="test_message", language="es"
        )
        for n in range(count)
    ]
    db.session.commit()
    return [m.message_id for m in messages]


def test_with_the_smtp_server_down_mail_waits_and_is_delivered_once_when_it_is_back(
    db, service_env, smtp_sink, tmp_path
):
    smtp_sink.stop()
    env = fast_env(sink_env(service_env, smtp_sink))
    worker = start_worker(env, tmp_path / "worker.log", queues="mail", concurrency=2)
    beat = start_beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule")
    try:
        ids = queue_many(db, 5)

        def tried_and_waiting() -> bool:
            db.session.rollback()
            attempts = db.session.scalars(select(OutboxMessage.attempts)).all()
            return statuses(db) == {"pending": 5} and min(attempts) >= 1

        wait_until(tried_and_waiting, 60, "a failed attempt on every message")
        last_errors = db.session.scalars(select(OutboxMessage.last_error)).all()
        assert all("cannot reach" in error for error in last_errors)
        assert smtp_sink.messages == []

        smtp_sink.start()
        smtp_sink.wait_for(5, timeout=60)
        wait_until(lambda: statuses(db) == {"sent": 5}, 30, "every message marked sent")
        time.sleep(3)  # longer than a relay period and a lease: nothing more may arrive
        assert sorted(smtp_sink.message_ids()) == sorted(ids)
    finally:
        stop_all(beat, worker)


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_what_was_in_flight(
    db, service_env, smtp_sink, tmp_path, artifacts
):
    """Issue 14 item 3's drill: 1,000 messages, a worker SIGKILLed in the middle."""
    total = 1000
    env = fast_env(sink_env(service_env, smtp_sink))
    ids = queue_many(db, total)
    beat = start_beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule")
    first = start_worker(env, tmp_path / "worker-1.log", queues="mail", concurrency=4)
    try:
        smtp_sink.wait_for(300, timeout=120)
        first.kill(signal.SIGKILL)
        first.popen.wait(10)
        accepted_at_kill = set(smtp_sink.message_ids())
        assert len(accepted_at_kill) < total, "the kill came too late to test anything"
        db.session.rollback()
        marked = dict(
            db.session.execute(select(OutboxMessage.message_id, OutboxMessage.status)).all()
        )
        # In flight: the server had accepted them, the dead worker had not marked them sent.
        in_flight = {mid for mid in accepted_at_kill if marked[mid] != "sent"}
        claimed_unsent = sum(
            1 for mid, status in marked.items() if status == "sending" and mid not in in_flight
        )

        second = start_worker(env, tmp_path / "worker-2.log", queues="mail", concurrency=4)
        try:
            wait_until(lambda: statuses(db) == {"sent": total}, 180, f"all {total} marked sent")
            time.sleep(4)  # a lease and a few relay periods: a stray copy would show up now
        finally:
            stop_all(second)
        received = smtp_sink.message_ids()
        counts = Counter(received)
        duplicates = {mid for mid, n in counts.items() if n > 1}
        figures = {
            "messages": total,
            "accepted_before_kill": len(accepted_at_kill),
            "in_flight_at_kill": len(in_flight),
            "claimed_not_yet_sent_at_kill": claimed_unsent,
            "received": len(received),
            "distinct_received": len(counts),
            "duplicates": len(duplicates),
            "lost": len(set(ids) - set(counts)),
        }
        (artifacts / "mail_kill_drill.json").write_text(json.dumps(figures, indent=2))
        assert set(counts) == set(ids), figures  # 1,000 delivered, none lost
        assert duplicates <= in_flight, figures  # a second copy only of what was in flight
        assert all(n == 2 for n in counts.values() if n > 1), figures
    finally:
        stop_all(first, beat)


@pytest.fixture()
def own_redis(tmp_path) -> Iterator[dict]:
    """A Redis of this test's own (the shared one must keep running for everyone else)."""
    port = free_port()
    log = (tmp_path / "redis.log").open("ab")
    state: dict = {"url": f"redis://127.0.0.1:{port}/0", "process": None}

    def start() -> None:
        state["process"] = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(port, timeout=10)

    def stop() -> None:
        process = state.pop("process", None)
        if process is not None:
            process.terminate()
            process.wait(10)
        state["process"] = None

    state["start"], state["stop"] = start, stop
    start()
    yield state
    stop()
    log.close()


def test_a_change_committed_while_redis_is_down_has_its_mail_delivered_once_redis_is_back(
    app, db, service_env, smtp_sink, own_redis, database_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("REDIS_URL", own_redis["url"])
    broker_app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_FOLDER": service_env["MAIL_FOLDER"],
            "SERVER_NAME": None,
        }
    )
    try:
        own_redis["stop"]()
        with broker_app.app_context():
            started = time.monotonic()
            [message_id] = queue_many(service.db, 1)  # the commit must succeed
            assert time.monotonic() - started < 10
            service.db.session.remove()
        assert statuses(db) == {"pending": 1}

        own_redis["start"]()
        env = fast_env(sink_env({**service_env, "REDIS_URL": own_redis["url"]}, smtp_sink))
        worker = start_worker(env, tmp_path / "worker.log", queues="mail", concurrency=1)
        beat = start_beat(env, tmp_path / "beat.log", tmp_path / "beat-schedule")
        try:
            [received] = smtp_sink.wait_for(1, timeout=60)
            assert received["Message-ID"] == message_id
            wait_until(lambda: statuses(db) == {"sent": 1}, 30, "the message marked sent")
            time.sleep(2)
            assert len(smtp_sink.messages) == 1
        finally:
            stop_all(beat, worker)
    finally:
        # create_app made its Celery app the default; the session's own app takes it back.
        app.extensions["celery"].set_default()
        with broker_app.app_context():
            service.db.engine.dispose()
