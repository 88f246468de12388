"""Registration storm: many simultaneous registrations on one event with a cap and country
quotas, through gunicorn on PostgreSQL (seat lock, waiting list, outbox row, audit entry,
calendar file), next to the same storm against an endpoint of the same app that does one
plain INSERT (bench/app.py registers it). Same server, same run; medians of several
runs. The correctness check: overbooked seats (confirmed beyond capacity or quota) must be 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_schema, figure, median, private_database, write_result  # noqa: E402
from tests.processes import start_gunicorn  # noqa: E402
from tests.storm import registration_forms, storm  # noqa: E402

CAPACITY = 100
QUOTAS = {"AR": 15, "BR": 15, "MX": 10}
COUNTRIES = ["AR", "BR", "MX", "CO", "PE", "CL", "GT", "UY"]
SERVER = "3x8"  # gunicorn workers x threads of the benchmark's figure


def make_event(app, run: int) -> str:
    from lanet.events.models import Event, EventQuota
    from lanet.extensions import db
    from lanet.network.models import Country

    with app.app_context():
        for code in COUNTRIES:
            if db.session.get(Country, code) is None:
                db.session.add(
                    Country(
                        code=code, name_es=code, name_pt=code, name_en=code, membership="member"
                    )
                )
        start = (datetime.now(UTC) + timedelta(days=30)).date()
        event = Event(
            slug=f"storm-{run}",
            kind="lemkin_seminar",
            title=f"Storm seminar {run}",
            country_code="AR",
            timezone="America/Argentina/Buenos_Aires",
            start_date=start,
            end_date=start + timedelta(days=2),
            status="open",
            capacity=CAPACITY,
            quotas=[EventQuota(country_code=c, seats=s) for c, s in QUOTAS.items()],
        )
        db.session.add(event)
        db.session.commit()
        return event.slug


def overbooked(app, slug: str) -> dict[str, int]:
    """Seats confirmed beyond capacity and quotas, counted from the registrations themselves."""
    from sqlalchemy import func, select

    from lanet.events.models import Event
    from lanet.extensions import db
    from lanet.registration.models import Registration

    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        confirmed = Registration.status == "confirmed"
        total = db.session.scalar(
            select(func.count()).where(Registration.event_id == event.id, confirmed)
        )
        per_country = dict(
            db.session.execute(
                select(Registration.seat_country_code, func.count())
                .where(Registration.event_id == event.id, confirmed)
                .group_by(Registration.seat_country_code)
            ).all()
        )
        over = max(total - CAPACITY, 0) + sum(
            max(per_country.get(code, 0) - seats, 0) for code, seats in QUOTAS.items()
        )
        counters_match = event.seats_confirmed == total
        db.session.remove()
        return {"overbooked": over, "confirmed": total, "counters_match": counters_match}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None, help="storm runs (default 3)")
    parser.add_argument(
        "--server",
        default=SERVER,
        help=f"gunicorn WORKERSxTHREADS for both endpoints (default {SERVER}, the figure's). "
        "Another value (e.g. 4x4, docs/production.md's) is a variant: printed, never written "
        "as the benchmark's result",
    )
    args = parser.parse_args()
    workers, threads = (int(n) for n in args.server.split("x"))
    runs = args.runs or (1 if args.quick else 3)
    applicants = 60 if args.quick else 300
    clients = 30

    from lanet import create_app

    with private_database("lanet_bench_storm") as url, tempfile.TemporaryDirectory() as tmp:
        create_schema(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        env = {
            "DATABASE_URL": url,
            "LANET_INSTANCE": tmp,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": "0",
            "RATELIMIT_ENABLED": "0",
            "MAIL_FOLDER": str(Path(tmp) / "mail"),
            # The filesystem broker in the temporary folder: nothing left behind in Redis.
            "REDIS_URL": "",
        }
        server, base = start_gunicorn(
            env,
            Path(tmp) / "gunicorn.log",
            workers=workers,
            threads=threads,
            app="bench.app:create_bench_app()",
        )
        rates, p95s, base_rates, base_p95s = [], [], [], []
        checks: list[dict] = []
        errors = 0
        try:
            # One warm-up of each path: imports, connection pools and template caches.
            warm = make_event(app, 0)
            storm(base, f"/events/{warm}/register", registration_forms(20, COUNTRIES, "w"), 10)
            storm(base, "/bench/plain-insert", registration_forms(20, COUNTRIES, "wb"), 10)
            for run in range(1, runs + 1):
                slug = make_event(app, run)
                forms = registration_forms(applicants, COUNTRIES, f"r{run}")
                result = storm(base, f"/events/{slug}/register", forms, clients)
                baseline_forms = registration_forms(applicants, COUNTRIES, f"b{run}")
                baseline = storm(base, "/bench/plain-insert", baseline_forms, clients)
                errors += sum(n for s, n in result.statuses.items() if s != 302)
                errors += sum(n for s, n in baseline.statuses.items() if s != 201)
                rates.append(result.per_second)
                p95s.append(result.percentile(0.95) * 1000)
                base_rates.append(baseline.per_second)
                base_p95s.append(baseline.percentile(0.95) * 1000)
                checks.append(overbooked(app, slug))
                print(
                    f"run {run}: {result.per_second:.1f} reg/s p95 {p95s[-1]:.0f} ms; "
                    f"plain insert {baseline.per_second:.1f}/s p95 {base_p95s[-1]:.0f} ms; "
                    f"{checks[-1]}",
                    flush=True,
                )
        finally:
            server.kill(signal.SIGQUIT)
            server.stop()
            with app.app_context():
                from lanet.extensions import db

                db.engine.dispose()
    if os.environ.get("LANET_BENCH_PROFILE"):
        # Per-request timings (and cProfiles) of the server: bench/profiling.py.
        from bench.profiling import summarize

        print(summarize(os.environ["LANET_BENCH_PROFILE"]), flush=True)
    over = sum(c["overbooked"] for c in checks)
    if args.server != SERVER:
        print(
            f"variant, gunicorn {args.server} for both endpoints (not the benchmark's figure): "
            f"median {median(rates):.1f} reg/s vs {median(base_rates):.1f}/s plain, ratio "
            f"{median(rates) / median(base_rates):.3f}; p95 {median(p95s):.0f} ms vs "
            f"{median(base_p95s):.0f} ms; {over} overbooked, {errors} error answers",
            flush=True,
        )
        return 0 if over == 0 and errors == 0 else 1
    figures = [
        figure(
            f"registrations per second ({clients} clients, {applicants} applicants, "
            f"cap {CAPACITY}, 3 country quotas)",
            rates,
            "req/s",
            baseline_name="plain INSERT endpoint, same server",
            baseline_samples=base_rates,
            notes=f"{over} overbooked seats; {errors} error answers",
        ),
        figure(
            "p95 latency of a registration in the storm",
            p95s,
            "ms",
            baseline_name="plain INSERT endpoint, same server",
            baseline_samples=base_p95s,
            better="lower",
        ),
    ]
    write_result(
        "registration_storm",
        figures,
        runs=runs,
        description=(
            "simultaneous POST /events/<slug>/register on one capped event with quotas "
            "(gunicorn 3x8, PostgreSQL) vs a one-INSERT endpoint of the same app"
        ),
        checks={
            "overbooked_seats": over,
            "error_answers": errors,
            "counters_match_ok": all(c["counters_match"] for c in checks),
            "confirmed_per_run": [c["confirmed"] for c in checks],
        },
        parameters={
            "clients": clients,
            "applicants": applicants,
            "capacity": CAPACITY,
            "quotas": QUOTAS,
            "gunicorn": "3 workers x 8 threads",
            "median_rate": median(rates),
        },
    )
    return 0 if over == 0 and errors == 0 else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
