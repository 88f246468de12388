"""Outage drills: PostgreSQL restarted under load, Redis stopped and restarted, a worker
killed mid-task. Each drill ends with the data checked: no lost or duplicated registration,
message or attendance.

The drills never touch the shared PostgreSQL and Redis that other test runs use: this
module starts its own PostgreSQL cluster (initdb into a temp dir, on a free port) and its
own redis-server, and real gunicorn, Celery worker and beat processes on them. The app is
never built inside this process (that would make its Celery app the default one for the
other tests): setting up runs in a subprocess, and the checks read the database directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests

from tests.processes import (
    Process,
    free_port,
    start_beat,
    start_gunicorn,
    start_worker,
    wait_for_port,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]

PG_BIN = Path(os.environ.get("LANET_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

if not (PG_BIN / "initdb").exists() or not Path(REDIS_SERVER).exists():
    pytest.skip("the drills need PostgreSQL's initdb and redis-server", allow_module_level=True)


def _wait(condition: Callable[[], object], timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"after {timeout:.0f}s still waiting for: {what}")


# --- a PostgreSQL cluster and a Redis server of the drills' own --------------------------------


class PrivatePostgres:
    """A throw-away cluster; as root, its commands run as the postgres user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=90)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}")

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "postgres.log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


class PrivateRedis:
    """A redis-server with an append-only file, as in docker-compose: queues survive restarts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.root), "--appendonly", "yes", "--save", "", "--protected-mode", "no"],
            {},
            self.root / "redis.log",
        )  # fmt: skip
        wait_for_port(self.port, timeout=15)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


# --- a real SMTP server that remembers every message it accepted --------------------------------


class SmtpSink:
    """Counts each Message-ID it accepts; `stall` holds every transaction at RCPT TO."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.stall = False
        self.stalled = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        while self.stall:
            self.stalled.set()
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.accepted.append(str(message["Message-ID"]).strip())
        return "250 Message accepted for delivery"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(self.accepted)


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    sink.stall = False
    controller.stop()


# --- the drills' world: services, schema, an open event ----------------------------------------

SETUP_SCRIPT = """
import sys
from datetime import date, timedelta
from lanet import create_app
from lanet.core.types import utcnow
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Country

app = create_app()
with app.app_context():
    db.create_all()
    if db.session.get(Country, "AR") is None:
        db.session.add(Country(code="AR", name_es="Argentina", name_pt="Argentina",
                               name_en="Argentina", membership="member"))
    for slug in sys.argv[1:]:
        db.session.add(Event(
            slug=slug, kind="workshop", title="Drill workshop " + slug, status="open",
            timezone="America/Argentina/Buenos_Aires", city="Buenos Aires", country_code="AR",
            start_date=date.today() + timedelta(days=60),
            end_date=date.today() + timedelta(days=61),
            capacity=1000, registration_opens_at=utcnow() - timedelta(days=1),
        ))
    db.session.commit()
"""


STAFF_SCRIPT = """
import sys
from lanet import create_app
from lanet.accounts.models import User, UserRole
from lanet.accounts.passwords import hash_password
from lanet.extensions import db
from lanet.network.models import Person

app = create_app()
with app.app_context():
    email, password = sys.argv[1], sys.argv[2]
    person = Person(first_name="Drill", last_name="Staff", email=email, language="en")
    user = User(email=email, person=person, password_hash=hash_password(password), active=True)
    user.roles.append(UserRole(role="staff"))
    db.session.add(user)
    db.session.commit()
"""


@dataclass
class World:
    root: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    smtp_port: int
    processes: list[Process] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.postgres.url("lanet")

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "LANET_INSTANCE": str(self.root / "instance"),
            "SECRET_KEY": "drill-secret",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "BASE_URL": "http://drill.lanet.test",
            "WTF_CSRF_ENABLED": "0",
            "PYTHONUNBUFFERED": "1",
            # The relay and the leases on the drills' clock: seconds, not minutes.
            "MAIL_RELAY_SECONDS": "1",
            "MAIL_SENDING_TIMEOUT": "4",
            "MAIL_RETRY_BASE_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            **extra,
        }

    def add_events(self, *slugs: str) -> None:
        self._script(SETUP_SCRIPT, *slugs)

    def add_staff(self, email_address: str, password: str) -> None:
        self._script(STAFF_SCRIPT, email_address, password)

    def _script(self, script: str, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-c", script, *args],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.database_url, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params: object):
        return self.query(sql, *params)[0][0]

    def gunicorn(self, **extra: str) -> str:
        # One process with four threads: concurrency enough, and half the start-up time.
        server, url = start_gunicorn(
            self.env(**extra), self.root / f"web-{uuid.uuid4().hex[:6]}.log", workers=1
        )
        self.processes.append(server)
        return url

    def worker(self, queues: str, name: str, **extra: str) -> Process:
        worker = start_worker(
            self.env(**extra), self.root / f"{name}.log", queues=queues, concurrency=1, name=name
        )
        self.processes.append(worker)
        return worker

    def beat(self) -> Process:
        beat = start_beat(self.env(), self.root / "beat.log", self.root / "beat-schedule")
        self.processes.append(beat)
        return beat

    def logs(self, limit: int = 4000) -> str:
        """The end of every process' output, for an assertion's message."""
        return "\n".join(
            f"--- {process.log_path.name}\n{process.output()[-limit:]}"
            for process in self.processes
        )

    def stop_processes(self) -> None:
        # The data is checked by then: no need for a graceful (and slow) shutdown.
        for process in self.processes:
            process.kill(signal.SIGKILL)
            process.stop()
        self.processes.clear()


@pytest.fixture(scope="module")
def world(smtp_sink) -> Iterator[World]:
    # Under /tmp itself: pytest's own temp folders are private to root, out of postgres' reach.
    root = Path(tempfile.mkdtemp(prefix="lanet-drill-"))
    root.chmod(0o755)  # the postgres user must reach its data folder inside
    postgres = PrivatePostgres(root / "pg")
    postgres.root.mkdir()
    redis_root = root / "redis"
    redis_root.mkdir()
    (root / "instance").mkdir()
    postgres.init()
    postgres.start()
    redis = PrivateRedis(redis_root)
    redis.start()
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE lanet")
    drill_world = World(root=root, postgres=postgres, redis=redis, smtp_port=smtp_sink[1])
    try:
        yield drill_world
    finally:
        drill_world.stop_processes()
        redis.stop()
        with contextlib.suppress(RuntimeError):
            postgres.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def drill(world) -> Iterator[World]:
    yield world
    world.stop_processes()


# --- what the drills do and check --------------------------------------------------------------


def register_form(email_address: str) -> dict[str, str]:
    return {
        "first_name": "Drill",
        "last_name": email_address.split("@")[0],
        "email": email_address,
        "country": "AR",
        "new_institution_name": "Ministerio de Relaciones Exteriores",
        "new_institution_kind": "ministry_foreign_affairs",
        "language": "es",
        "role": "participant",
        "consent": "y",
    }


def register(url: str, slug: str, email_address: str) -> requests.Response:
    return requests.post(
        f"{url}/events/{slug}/register",
        data=register_form(email_address),
        headers={"Accept-Language": "en"},
        allow_redirects=False,
        timeout=30,
    )


def registered_ok(response: requests.Response) -> bool:
    # The same answer for every address: the private link goes to the inbox (issue 14 item 1).
    return response.status_code == 302 and response.headers.get("Location", "").endswith(
        "/register/sent"
    )


def check_registrations_and_messages(world: World, slug: str, expected: set[str]) -> None:
    """Exactly one registration, one person and one outbox message per applicant: nothing
    lost, nothing duplicated, nothing half-written."""
    rows = world.query(
        "SELECT p.email, count(*) FROM registrations r JOIN people p ON p.id = r.person_id"
        " JOIN events e ON e.id = r.event_id WHERE e.slug = %s GROUP BY p.email",
        slug,
    )
    assert dict(rows) == dict.fromkeys(expected, 1)
    people = world.query(
        "SELECT email, count(*) FROM people WHERE email LIKE %s GROUP BY email",
        f"%@{slug}.example.org",
    )
    assert dict(people) == dict.fromkeys(expected, 1), "a person without a registration"
    messages = world.query(
        "SELECT m.recipient_email, count(*) FROM outbox_messages m JOIN events e"
        " ON e.id = m.event_id WHERE e.slug = %s GROUP BY m.recipient_email",
        slug,
    )
    assert dict(messages) == dict.fromkeys(expected, 1), "a registration without its message"
    audits = world.scalar(
        "SELECT count(*) FROM audit_entries a JOIN events e ON e.id = a.event_id"
        " WHERE e.slug = %s AND a.action = 'registration.created'",
        slug,
    )
    assert audits == len(expected)


def check_every_message_sent_once(world: World, sink: SmtpSink, slug: str) -> None:
    rows = world.query(
        "SELECT m.message_id, m.status FROM outbox_messages m JOIN events e ON e.id = m.event_id"
        " WHERE e.slug = %s",
        slug,
    )
    counts = sink.counts()
    assert {status for _, status in rows} == {"sent"}
    assert {message_id: counts[message_id] for message_id, _ in rows} == {
        message_id: 1 for message_id, _ in rows
    }


def wait_all_sent(world: World, sink: SmtpSink, slug: str, timeout: float) -> None:
    def done() -> bool:
        rows = world.query(
            "SELECT m.message_id, m.status FROM outbox_messages m JOIN events e"
            " ON e.id = m.event_id WHERE e.slug = %s",
            slug,
        )
        counts = sink.counts()
        return bool(rows) and all(s == "sent" and counts[m] >= 1 for m, s in rows)

    _wait(done, timeout, f"every message of {slug} delivered", step=0.3)


# --- (a) PostgreSQL restarted under load -------------------------------------------------------


def test_postgres_restart_under_load_gives_503_then_recovers_with_nothing_half_written(drill):
    slug = "drill-postgres"
    drill.add_events(slug)
    url = drill.gunicorn(RATELIMIT_ENABLED="0")
    stop_load = threading.Event()
    outcomes: list[tuple[str, str, int, str]] = []
    counter = iter(range(10**6))
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        while not stop_load.is_set():
            if number % 2:
                address = f"p{next(counter)}-{number}@{slug}.example.org"
                try:
                    response = session.post(
                        f"{url}/events/{slug}/register",
                        data=register_form(address),
                        headers={"Accept-Language": "en"},
                        allow_redirects=False,
                        timeout=30,
                    )
                except requests.RequestException as error:
                    outcomes.append(("register", address, -1, repr(error)))
                    continue
                kind = "register"
            else:
                address = ""
                response = session.get(
                    f"{url}/events", headers={"Accept-Language": "en"}, timeout=30
                )
                kind = "list"
            with lock:
                outcomes.append((kind, address, response.status_code, response.text))

    with ThreadPoolExecutor(4) as pool:
        for number in range(4):
            pool.submit(client, number)
        _wait(lambda: sum(1 for o in outcomes if o[2] in (200, 302)) >= 12, 30, "load running")
        drill.postgres.stop("fast")
        time.sleep(2.5)  # the outage: every request in this window needs the database
        during = len(outcomes)
        drill.postgres.start()
        restarted = time.monotonic()
        # Recovery by itself: no process restarted, the pools reconnect (pool_pre_ping).
        _wait(
            lambda: requests.get(f"{url}/healthz", timeout=60).status_code == 200,
            30,
            "healthz 200 after the restart",
        )
        recovered_after = time.monotonic() - restarted
        time.sleep(1.5)
        stop_load.set()

    statuses = Counter(status for _, _, status, _ in outcomes)
    if not set(statuses) <= {200, 302, 503}:
        print(drill.logs(30000))
    assert set(statuses) <= {200, 302, 503}, statuses
    unavailable = [o for o in outcomes if o[2] == 503]
    assert unavailable, f"the outage was not felt ({during} requests): {statuses}"
    for _kind, _address, _status, body in unavailable:
        assert "Temporarily unavailable" in body and "Nothing was saved" in body
    assert recovered_after < 20
    # After the restart, pages and registrations work again in the same processes.
    assert requests.get(f"{url}/events", timeout=60).status_code == 200
    assert registered_ok(register(url, slug, f"after@{slug}.example.org"))
    # Nothing half-written: each applicant whose request succeeded is registered once with
    # its message; one whose request failed may be registered (committed before the failure)
    # but then completely, never a person without a registration or a registration without
    # its confirmation.
    succeeded = {a for kind, a, status, _ in outcomes if kind == "register" and status == 302}
    registered = {
        row[0]
        for row in drill.query(
            "SELECT p.email FROM registrations r JOIN people p ON p.id = r.person_id"
            " JOIN events e ON e.id = r.event_id WHERE e.slug = %s",
            slug,
        )
    }
    assert succeeded | {f"after@{slug}.example.org"} <= registered
    check_registrations_and_messages(drill, slug, registered)


def test_the_503_page_during_a_database_outage_is_clear_and_says_nothing_was_saved(drill):
    slug = "drill-page"
    drill.add_events(slug)
    url = drill.gunicorn(RATELIMIT_ENABLED="0")
    assert requests.get(f"{url}/events", timeout=60).status_code == 200
    drill.postgres.stop("fast")
    try:
        # A page no one has asked for yet: not in the page cache, so it needs the database.
        page = requests.get(
            f"{url}/events?year=2014", headers={"Accept-Language": "en"}, timeout=30
        )
        attempt = register(url, slug, f"lost@{slug}.example.org")
        health = requests.get(f"{url}/healthz", timeout=30)
    finally:
        drill.postgres.start()
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "text/html" in page.headers["Content-Type"]
    assert "Temporarily unavailable" in page.text and "Traceback" not in page.text
    assert attempt.status_code == 503 and "Nothing was saved" in attempt.text
    assert health.status_code == 503 and health.json()["database"]["ok"] is False
    _wait(lambda: requests.get(f"{url}/healthz", timeout=60).status_code == 200, 30, "recovery")
    assert (
        drill.scalar("SELECT count(*) FROM people WHERE email = %s", f"lost@{slug}.example.org")
        == 0
    )


def check_in_codes(registrations: list[tuple[int, str]]) -> dict[int, str]:
    """The codes on the participants' badges, made by LANET's own code function (from each
    registration's private-link nonce and SECRET_KEY)."""
    from types import SimpleNamespace

    from flask import Flask

    from lanet.attendance.codes import check_in_code

    signer = Flask("drill-codes")
    signer.config["SECRET_KEY"] = "drill-secret"
    with signer.app_context():
        return {
            rid: check_in_code(SimpleNamespace(id=rid, token_nonce=nonce))
            for rid, nonce in registrations
        }


def test_check_ins_sent_again_after_a_postgres_restart_are_recorded_once(drill):
    slug = "drill-checkin"
    drill.add_events(slug)
    drill.add_staff(f"staff@{slug}.example.org", "drill-password-1")
    url = drill.gunicorn(RATELIMIT_ENABLED="0")
    for number in range(6):
        assert registered_ok(register(url, slug, f"c{number}@{slug}.example.org"))
    registrations = drill.query(
        "SELECT r.id, r.token_nonce FROM registrations r JOIN events e ON e.id = r.event_id"
        " WHERE e.slug = %s AND r.status = 'confirmed' ORDER BY r.id",
        slug,
    )
    assert len(registrations) == 6
    codes = check_in_codes(registrations)
    day = drill.scalar("SELECT start_date FROM events WHERE slug = %s", slug).isoformat()
    staff = requests.Session()
    signed_in = staff.post(
        f"{url}/login",
        data={"email": f"staff@{slug}.example.org", "password": "drill-password-1"},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[-2000:]
    # The check-in page keeps each scan with its nonce and posts it again until it is answered,
    # as a phone at the door does when the connection or the server drops.
    scans = [
        {"code": codes[rid], "day": day, "nonce": uuid.uuid4().hex} for rid, _token in registrations
    ]
    answers: list[int] = []

    def post_until_answered(scan: dict) -> dict:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = staff.post(
                    f"{url}/manage/events/{slug}/check-in/scan", json=scan, timeout=30
                )
            except requests.RequestException:
                answers.append(-1)
                time.sleep(0.2)
                continue
            answers.append(response.status_code)
            if response.status_code == 200:
                return response.json()
            if response.status_code != 503:
                print(drill.logs(20000))
            assert response.status_code == 503, response.text[-2000:]
            time.sleep(0.2)
        raise AssertionError(f"scan {scan} never answered")

    first = post_until_answered(scans[0])
    assert first["status"] == "recorded"
    drill.postgres.stop("fast")
    with ThreadPoolExecutor(3) as pool:
        pending = [pool.submit(post_until_answered, scan) for scan in scans]
        time.sleep(2)
        drill.postgres.start()
        results = [future.result() for future in pending]
    assert 503 in answers, "the outage was not felt"
    # The first scan was recorded before the outage: sent again, it gets the same answer.
    assert [r["status"] for r in results] == ["recorded"] * 6
    assert len({r["attendance_id"] for r in results}) == 6
    # A second scan of the same badge is "already", not a second attendance.
    again = post_until_answered({"code": codes[registrations[1][0]], "day": day})
    assert again["status"] == "already"
    rows = drill.query(
        "SELECT a.registration_id, count(*) FROM attendance a JOIN registrations r"
        " ON r.id = a.registration_id JOIN events e ON e.id = r.event_id"
        " WHERE e.slug = %s GROUP BY a.registration_id",
        slug,
    )
    assert dict(rows) == {rid: 1 for rid, _token in registrations}
    audits = drill.scalar(
        "SELECT count(*) FROM audit_entries a JOIN events e ON e.id = a.event_id"
        " WHERE e.slug = %s AND a.action = 'attendance.check_in'",
        slug,
    )
    assert audits == 6


# --- (b) Redis stopped and restarted -----------------------------------------------------------


def test_redis_outage_registrations_keep_succeeding_and_mail_and_calendars_catch_up(
    drill, smtp_sink
):
    sink, _port = smtp_sink
    slug = "drill-redis"
    drill.add_events(slug)
    event_id = drill.scalar("SELECT id FROM events WHERE slug = %s", slug)
    url = drill.gunicorn()  # rate limiting on: its storage is the same Redis
    drill.worker("celery,mail,calendars", "drill-mail")
    drill.beat()
    before = {f"before{i}@{slug}.example.org" for i in range(3)}
    for address in sorted(before):
        assert registered_ok(register(url, slug, address))
    wait_all_sent(drill, sink, slug, timeout=60)

    drill.redis.stop()
    during = {f"during{i}@{slug}.example.org" for i in range(8)}
    responses = {address: register(url, slug, address) for address in sorted(during)}
    assert {a: r.status_code for a, r in responses.items()} == dict.fromkeys(during, 302)
    # An organizer's change whose calendar rebuild request cannot reach the broker.
    drill.query(
        "UPDATE events SET title = 'Drill workshop (moved)', updated_at = now() WHERE id = %s"
        " RETURNING id",
        event_id,
    )
    health = requests.get(f"{url}/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["broker"]["ok"] is False
    assert set(health.json()["queues"]["queues"].values()) == {None}
    time.sleep(2)
    pending = drill.scalar(
        "SELECT count(*) FROM outbox_messages WHERE event_id = %s AND status <> 'sent'", event_id
    )
    assert pending == len(during), "mail went out while the broker was down?"

    drill.redis.start()
    # Beat's relay re-dispatches the pending mail once the broker is back; nobody intervenes.
    wait_all_sent(drill, sink, slug, timeout=90)
    # The calendar sweep (beat, every 5 minutes) rebuilds files of changed events; the drill
    # sends that same task now instead of waiting for the 5 minutes.
    from celery import Celery

    sender = Celery("drill", broker=drill.redis.url, set_as_current=False)
    sender.send_task("lanet.calendars.sweep", queue="calendars")

    def calendar_rebuilt() -> bool:
        rows = drill.query(
            "SELECT content FROM stored_files WHERE key = %s", f"calendar/event/{event_id}/es.ics"
        )
        return bool(rows) and b"Drill workshop (moved)" in bytes(rows[0][0])

    _wait(calendar_rebuilt, 60, "the event's calendar rebuilt after the outage")
    check_registrations_and_messages(drill, slug, before | during)
    check_every_message_sent_once(drill, sink, slug)


# --- (c) a worker killed mid-task --------------------------------------------------------------


def test_a_worker_killed_mid_delivery_is_redone_once_by_another(drill, smtp_sink):
    sink, _port = smtp_sink
    slug = "drill-kill"
    drill.add_events(slug)
    event_id = drill.scalar("SELECT id FROM events WHERE slug = %s", slug)
    url = drill.gunicorn(RATELIMIT_ENABLED="0")
    sink.stalled.clear()
    sink.stall = True
    try:
        first = drill.worker("mail", "drill-doomed")
        applicants = {f"k{i}@{slug}.example.org" for i in range(4)}
        for address in sorted(applicants):
            assert registered_ok(register(url, slug, address))
        # The worker has claimed the messages and is talking to the SMTP server.
        _wait(sink.stalled.is_set, 60, "the first worker delivering", step=0.1)
        claimed = drill.scalar(
            "SELECT count(*) FROM outbox_messages WHERE event_id = %s AND status = 'sending'",
            event_id,
        )
        assert claimed >= 1
        first.kill(signal.SIGKILL)
        first.popen.wait(10)
    finally:
        sink.stall = False
    assert (
        drill.scalar(
            "SELECT count(*) FROM outbox_messages WHERE event_id = %s AND status = 'sent'", event_id
        )
        == 0
    )
    # Another worker and beat: when the dead worker's lease ends the relay hands its work on.
    drill.worker("mail", "drill-rescuer")
    drill.beat()
    wait_all_sent(drill, sink, slug, timeout=90)
    check_registrations_and_messages(drill, slug, applicants)
    check_every_message_sent_once(drill, sink, slug)
    redone = drill.scalar(
        "SELECT count(*) FROM outbox_messages WHERE event_id = %s AND attempts = 2", event_id
    )
    assert redone == claimed, "each message the dead worker held was tried exactly once more"
