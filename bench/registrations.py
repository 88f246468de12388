"""An organizer's view of a big event (issue 16): the registrations page of an event with
5,000 registrations against the minimal endpoint of the same server, and its XLSX export
against openpyxl writing the same rows from plain tuples, on PostgreSQL.

Goals: the page's throughput >= 0.1 of `/bench/ping` (bench/app.py) under 20 signed-in
keep-alive clients, with a statement count that does not grow with the event (checked here:
the same statements for the 5,000-registration event as for one of 10); the export <= 2x the
bare openpyxl time. Medians of several runs, each figure next to its baseline of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    create_schema,
    figure,
    goal_met,
    http_exchange,
    median,
    private_database,
    write_result,
)

PAGE_GOAL = ">= 0.1"
EXPORT_GOAL = "<= 2"
PASSWORD = "bench organizer password"
USER_AGENT = "lanet-bench"
RECONNECT_EVERY = 25
COUNTRIES = ("AR", "BR", "MX", "CO", "PE", "CL", "UY", "GT")


def analyze(database_url: str) -> None:
    """What autovacuum does to a table this size soon after it is filled: planner statistics.

    PostgreSQL on the machines the benchmarks ran on has autovacuum off, so a database just
    loaded had none, and the page's plans were those of an unknown table (a sort of all the
    event's registrations instead of the index's first 50 entries). `--no-analyze` keeps that
    condition, to compare with runs before 2026-11-30 14:00.
    """
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("ANALYZE")


def seed(database_url: str, registrations: int) -> dict:
    """An event with `registrations` registrations (people of 8 countries and 40
    institutions), a small one with 10, and their organizer; returns slugs and email."""
    from lanet import create_app
    from lanet.accounts.models import User, UserRole
    from lanet.accounts.passwords import hash_password
    from lanet.events.models import Event
    from lanet.extensions import db
    from lanet.network.models import Country, Institution, Person
    from lanet.registration.models import Registration

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        for code in COUNTRIES:
            db.session.add(
                Country(code=code, name_es=code, name_pt=code, name_en=code, membership="member")
            )
        institutions = [
            Institution(name=f"Institution {n}", country_code=COUNTRIES[n % 8], kind="academia")
            for n in range(40)
        ]
        db.session.add_all(institutions)
        start = date.today() + timedelta(days=60)
        events = {}
        for slug, count in (("big-seminar", registrations), ("small-seminar", 10)):
            event = Event(
                slug=slug,
                kind="conference",
                title=f"Conference {slug}",
                country_code="AR",
                timezone="America/Argentina/Buenos_Aires",
                start_date=start,
                end_date=start + timedelta(days=2),
                status="open",
                languages="es,pt,en",
            )
            db.session.add(event)
            db.session.flush()
            events[slug] = event.id
            statuses = ("confirmed", "pending", "waitlisted", "confirmed", "declined")
            created = datetime(2026, 1, 1, tzinfo=UTC)
            for number in range(count):
                person = Person(
                    first_name=f"Nombre{number}",
                    last_name=f"Apellido {slug} {number}",
                    email=f"{slug}.{number}@bench.lanet.example",
                    country_code=COUNTRIES[number % 8],
                    institution=institutions[number % 40] if number % 7 else None,
                    position="Asesor",
                    language=("es", "pt", "en")[number % 3],
                )
                db.session.add(
                    Registration(
                        person=person,
                        event_id=event.id,
                        status=statuses[number % 5],
                        created_at=created + timedelta(minutes=number),
                    )
                )
            db.session.flush()
        organizer = User(
            email="organizer@bench.lanet.example",
            person=Person(first_name="Org", last_name="Anizer", email="org@bench.lanet.example"),
            password_hash=hash_password(PASSWORD),
            active=True,
        )
        for event_id in events.values():
            organizer.roles.append(UserRole(role="organizer", event_id=event_id))
        db.session.add(organizer)
        db.session.commit()
        db.engine.dispose()
    return {
        "email": "organizer@bench.lanet.example",
        "big": "big-seminar",
        "small": "small-seminar",
    }


# --- in process: statement counts and the export ----------------------------------------------


def in_process(database_url: str, tmp: str, seeded: dict, runs: int) -> dict:
    """Statement counts of the page (big vs small event) and the export vs bare openpyxl."""
    import os

    from openpyxl import Workbook
    from sqlalchemy import event as sa_event

    os.environ.update(LANET_INSTANCE=tmp)
    from bench.app import create_bench_app
    from lanet.extensions import db
    from lanet.registration import queries

    os.environ["DATABASE_URL"] = database_url
    app = create_bench_app()
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    client = app.test_client()
    signed = client.post("/login", data={"email": seeded["email"], "password": PASSWORD})
    assert signed.status_code == 302, signed.status_code

    def statements(path: str) -> int:
        seen: list[str] = []

        def before(*args) -> None:
            seen.append(args[2])

        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", before)
        try:
            response = client.get(path)
        finally:
            sa_event.remove(engine, "before_cursor_execute", before)
        assert response.status_code == 200, (path, response.status_code)
        return len(seen)

    page = "/manage/events/{}/registrations"
    statements(page.format(seeded["small"]))  # warm
    counts = {
        "small_event": statements(page.format(seeded["small"])),
        "big_event": statements(page.format(seeded["big"])),
        "big_event_last_page": statements(page.format(seeded["big"]) + "?page=100"),
    }

    export_path = f"/manage/events/{seeded['big']}/registrations.xlsx"
    with app.app_context():
        event_id = db.session.execute(
            db.text("SELECT id FROM events WHERE slug = :s"), {"s": seeded["big"]}
        ).scalar_one()
        tuples = queries.export_rows(event_id)
        db.session.remove()

    def bare_openpyxl() -> bytes:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Registrations")
        sheet.append(list(queries.EXPORT_HEADER))
        for row in tuples:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    exports, bare = [], []
    client.get(export_path)  # warm
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(export_path)
        exports.append(time.perf_counter() - started)
        assert response.status_code == 200
        size = len(response.data)
        started = time.perf_counter()
        bare_openpyxl()
        bare.append(time.perf_counter() - started)
        print(f"export {exports[-1]:.3f} s, bare openpyxl {bare[-1]:.3f} s", flush=True)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows_in_file = sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    with app.app_context():
        db.engine.dispose()
    return {
        "counts": counts,
        "export": exports,
        "bare": bare,
        "rows": len(tuples),
        "rows_in_file": rows_in_file,
        "bytes": size,
    }


# --- over HTTP: the page under signed-in clients ----------------------------------------------


async def _client(host, port, path, cookie, deadline, latencies, errors) -> None:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Language: es\r\n"
        f"User-Agent: {USER_AGENT}\r\nCookie: {cookie}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0
    try:
        while time.perf_counter() < deadline:
            sent += 1
            started = time.perf_counter()
            try:
                status_line, close = await http_exchange(reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError):
                # A worker restarted under load (gunicorn's timeout): counted, then go on.
                errors.append(0)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            latencies.append(time.perf_counter() - started)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(int(status_line.split()[1]) if status_line else 0)
            if close or sent % RECONNECT_EVERY == 0:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def load(url: str, path: str, cookie: str, clients: int, seconds: float) -> dict:
    host, port = url.removeprefix("http://").split(":")

    async def run() -> dict:
        latencies: list[float] = []
        errors: list[int] = []
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                _client(host, int(port), path, cookie, deadline, latencies, errors)
                for _ in range(clients)
            )
        )
        elapsed = time.perf_counter() - started
        latencies.sort()
        return {
            "rps": len(latencies) / elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
            "errors": len(errors),
        }

    return asyncio.run(run())


def sign_in(url: str, email: str) -> str:
    """The session cookie of a signed-in organizer, through the real login form."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    form = session.get(f"{url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    response = session.post(
        f"{url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.status_code
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def over_http(env: dict, folder: Path, seeded: dict, runs: int, clients: int, seconds: float):
    from tests.processes import start_gunicorn

    process, url = start_gunicorn(
        env, folder / "gunicorn.log", workers=2, threads=4, app="bench.app:create_bench_app()"
    )
    paths = {
        "minimal": "/bench/ping",
        "registrations page": f"/manage/events/{seeded['big']}/registrations",
    }
    try:
        cookie = sign_in(url, seeded["email"])
        samples: dict[str, list[dict]] = {name: [] for name in paths}
        for path in paths.values():
            load(url, path, cookie, clients, 1.0)  # warm every worker
        for round_number in range(runs):
            for name, path in paths.items():
                result = load(url, path, cookie, clients, seconds)
                samples[name].append(result)
                print(
                    f"round {round_number + 1} {name:<18} {result['rps']:8.1f} req/s "
                    f"p50 {result['p50_ms']:.1f} ms errors {result['errors']}",
                    flush=True,
                )
    finally:
        process.stop()
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--registrations", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--no-analyze", action="store_true", help="leave the loaded tables without statistics"
    )
    args = parser.parse_args(argv)
    registrations = args.registrations or (500 if args.quick else 5000)
    runs = args.runs or (2 if args.quick else 5)
    seconds = args.seconds or (2.0 if args.quick else 6.0)

    with (
        private_database("lanet_bench_registrations") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        create_schema(database_url)
        seeded = seed(database_url, registrations)
        if not args.no_analyze:
            analyze(database_url)
        local = in_process(database_url, tmp, seeded, runs)
        env = {
            "DATABASE_URL": database_url,
            "LANET_INSTANCE": tmp,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": "0",
            "LANET_DEV_PAGES": "0",
        }
        samples = over_http(env, Path(tmp), seeded, runs, args.clients, seconds)

    def series(name: str, key: str) -> list[float]:
        return [round(s[key], 3) for s in samples[name]]

    page = figure(
        f"organizer's registrations page, event of {registrations} registrations, "
        f"{args.clients} signed-in clients",
        series("registrations page", "rps"),
        "req/s",
        baseline_name="minimal endpoint /bench/ping, same server",
        baseline_samples=series("minimal", "rps"),
        goal=PAGE_GOAL,
        notes=(
            f"{local['counts']['big_event']} statements a page with {registrations} "
            f"registrations, {local['counts']['small_event']} with 10; "
            f"p50 {statistics.median(series('registrations page', 'p50_ms')):.1f} ms "
            f"(minimal {statistics.median(series('minimal', 'p50_ms')):.1f} ms)"
        ),
    )
    export = figure(
        f"XLSX export of {registrations} registrations (GET .../registrations.xlsx, in process)",
        local["export"],
        "s",
        baseline_name="openpyxl (write-only) writing the same rows from tuples",
        baseline_samples=local["bare"],
        better="lower",
        notes=(
            "ratio = export time / bare openpyxl time (what the query, the request and the "
            f"formula guard add); {local['bytes']} bytes"
        ),
    )
    # The issue states this goal as "at most 2x the bare time": the ratio is time over time.
    export["ratio"] = median(local["export"]) / median(local["bare"])
    export["goal"] = EXPORT_GOAL
    export["met"] = goal_met(EXPORT_GOAL, export["ratio"])
    counts = local["counts"]
    errors = {name: sum(s["errors"] for s in samples[name]) for name in samples}
    write_result(
        "registrations",
        [page, export],
        runs=runs,
        description=(
            "an organizer's registrations page (event of many registrations) vs the minimal "
            "endpoint, gunicorn 2x4 on PostgreSQL; its XLSX export vs bare openpyxl, in process"
        ),
        checks={
            "constant_query_count_ok": counts["big_event"] == counts["small_event"]
            and counts["big_event_last_page"] == counts["small_event"],
            "statements": counts,
            "export_rows_ok": local["rows_in_file"] == registrations == local["rows"],
            "non_200_responses_ok": not any(errors.values()),
            "non_200": errors,
        },
        parameters={
            "registrations": registrations,
            "clients": args.clients,
            "seconds_per_run": seconds,
            "gunicorn": "2 workers x 4 threads (gthread)",
            "planner_statistics": "none (--no-analyze)"
            if args.no_analyze
            else "ANALYZE after load",
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
