"""Compiling ALL attendance totals over 1,000,000 attendance rows (100,000 people, 2,000
events) on PostgreSQL, next to one hand-written SQL GROUP BY over the same rows.

The figure is `lanet.attendance.totals.compile_totals()` — every dimension (year, event,
kind, cycle, country, institution kind, role, gender, each per year and over all years) and
cycle completion, deleted and re-inserted in one transaction. The baseline is a single
GROUP BY (unique people and person-days by country and year) over the same join. Runs
alternate between the two; medians are reported. Goal: compiling everything within 2× the
single GROUP BY. Both run with the same work_mem (64MB, set for their transaction only).

    python bench/attendance_totals.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    create_schema,
    figure,
    insert_select,
    private_database,
    write_result,
)

COUNTRIES = ["AR", "BO", "BR", "CL", "CO", "CR", "EC", "SV", "GT", "HN", "MX", "NI", "PA",
             "PY", "PE", "DO", "UY", "VE"]  # fmt: skip
KINDS = ["lemkin_seminar", "focal_points_meeting", "national_seminar", "workshop", "course",
         "conference", "side_event", "videoconference", "network_meeting",
         "international_meeting"]  # fmt: skip
INSTITUTION_KINDS = ["ministry_foreign_affairs", "ministry_defense", "ministry_justice",
                     "ombudsman", "security_forces", "other_government", "civil_society",
                     "academia", "international_organization"]  # fmt: skip
DAYS_PER_REGISTRATION = 4

BASELINE_SQL = """
SELECT p.country_code, CAST(EXTRACT(year FROM e.start_date) AS INTEGER) AS year,
       count(DISTINCT r.person_id) AS people, count(*) AS person_days
FROM attendance a
JOIN registrations r ON r.id = a.registration_id
JOIN people p ON p.id = r.person_id
JOIN events e ON e.id = r.event_id
GROUP BY p.country_code, CAST(EXTRACT(year FROM e.start_date) AS INTEGER)
"""


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def load(connection, people: int, events: int, rows: int) -> None:
    """Bulk-load with generate_series: the data is built inside PostgreSQL, not in Python.

    Only the columns this benchmark cares about are named; the rest take the models'
    defaults (`insert_select`), so a new column with a default does not break the loader.
    """
    from lanet.attendance.models import Attendance
    from lanet.events.models import Cycle, Event, Series
    from lanet.network.models import Country, Institution, Person
    from lanet.registration.models import Registration

    registrations = rows // DAYS_PER_REGISTRATION
    lemkin_cycles = min(50, events // 40)
    countries, kinds = _array(COUNTRIES), _array(KINDS)
    lemkin = f"i <= {2 * lemkin_cycles}"
    insert_select(connection, Country, {
        "code": "c", "name_es": "c", "name_pt": "c", "name_en": "c", "membership": "'member'",
    }, f"unnest({countries}) AS c")  # fmt: skip
    insert_select(connection, Institution, {
        "id": "i",
        "name": "'Institution ' || i",
        "country_code": f"({countries})[1 + i % 18]",
        "kind": f"({_array(INSTITUTION_KINDS)})[1 + i % 9]",
    }, "generate_series(1, 360) AS i")  # fmt: skip
    insert_select(connection, Person, {
        "id": "i",
        "first_name": "'Name' || i",
        "last_name": "'Surname' || i",
        "email": "'p' || i || '@bench.example'",
        "country_code": f"({countries})[1 + i % 18]",
        "institution_id": "CASE WHEN i % 10 = 0 THEN NULL ELSE 1 + (i * 7) % 360 END",
        "gender": "(ARRAY['female', 'male', NULL])[1 + i % 3]",
    }, f"generate_series(1, {people}) AS i")  # fmt: skip
    insert_select(connection, Series, {"id": "1", "code": "'lemkin-la'", "parts_per_cycle": "2"},
                  "(SELECT 1) AS one")  # fmt: skip
    insert_select(connection, Cycle, {"id": "i", "series_id": "1", "number": "i"},
                  f"generate_series(1, {lemkin_cycles}) AS i")  # fmt: skip
    insert_select(connection, Event, {
        "id": "i",
        "slug": "'event-' || i",
        "kind": f"CASE WHEN {lemkin} THEN 'lemkin_seminar' ELSE ({kinds})[1 + i % 10] END",
        "title": "'Event ' || i",
        "country_code": f"({countries})[1 + i % 18]",
        "start_date": "DATE '2010-01-01' + (i * 3) % 7300",
        "end_date": f"DATE '2010-01-01' + (i * 3) % 7300 + {DAYS_PER_REGISTRATION - 1} + i % 3",
        "status": "'held'",
        "cycle_id": f"CASE WHEN {lemkin} THEN 1 + (i - 1) / 2 END",
        "part_number": f"CASE WHEN {lemkin} THEN 1 + (i - 1) % 2 END",
    }, f"generate_series(1, {events}) AS i")  # fmt: skip
    # Person x event unique: each round r gives a person an event 1/4 of the list away.
    # The link columns (lanet/core/tokens.py) get unique stand-ins: the nonce and hash are
    # built in SQL, not from TOKEN_KEY, so these links do not open (nothing here opens one).
    insert_select(connection, Registration, {
        "id": "i + 1",
        "person_id": f"1 + i % {people}",
        "event_id": f"1 + ((i % {people}) * 7 + (i / {people}) * {events // 4}) % {events}",
        "role": "CASE WHEN i % 50 = 0 THEN 'instructor' ELSE 'participant' END",
        "status": "'confirmed'",
        "token_nonce": "md5(i::text)",
        "token_hash": "encode(sha256(('bench-' || i)::bytea), 'hex')",
    }, f"generate_series(0, {registrations - 1}) AS i")  # fmt: skip
    insert_select(connection, Attendance, {
        "registration_id": "r.id", "day": "e.start_date + d", "method": "'qr'",
    }, "registrations r JOIN events e ON e.id = r.event_id, "
       f"generate_series(0, {DAYS_PER_REGISTRATION - 1}) AS d")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    people, events, rows = (10_000, 200, 100_000) if args.quick else (100_000, 2_000, 1_000_000)

    with private_database("lanet_bench_attendance") as url:
        create_schema(url)
        from sqlalchemy import func, select, text

        from lanet import create_app
        from lanet.attendance.models import Attendance, AttendanceTotal
        from lanet.attendance.totals import compile_totals
        from lanet.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            started = time.perf_counter()
            with db.engine.begin() as connection:
                load(connection, people, events, rows)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
            load_seconds = time.perf_counter() - started
            loaded = db.session.scalar(select(func.count()).select_from(Attendance))
            print(f"loaded {loaded} attendance rows in {load_seconds:.1f}s", flush=True)

            compiled, baseline = [], []
            baseline_rows = []
            for run in range(args.runs):
                started = time.perf_counter()
                # The same memory for hashing and sorting as compile_totals() takes.
                db.session.execute(text("SET LOCAL work_mem = '64MB'"))
                baseline_rows = db.session.execute(text(BASELINE_SQL)).all()
                db.session.commit()
                baseline.append(time.perf_counter() - started)
                started = time.perf_counter()
                compile_totals()
                compiled.append(time.perf_counter() - started)
                print(f"run {run + 1}: compile {compiled[-1]:.2f}s, GROUP BY {baseline[-1]:.2f}s")

            stored = {
                (t.key, t.year): (t.people, t.person_days)
                for t in db.session.scalars(
                    select(AttendanceTotal).where(
                        AttendanceTotal.dimension == "country", AttendanceTotal.year > 0
                    )
                )
            }
            expected = {(c, y): (p, d) for c, y, p, d in baseline_rows}
            stored_rows = db.session.scalar(select(func.count()).select_from(AttendanceTotal))
            db.session.remove()
            db.engine.dispose()

    # Runs alternate, so each compile has a baseline measured right before it: on a shared,
    # busy machine the ratio within a pair is steadier than the ratio of two medians.
    paired = sorted(c / b for c, b in zip(compiled, baseline, strict=True))
    paired_median = paired[len(paired) // 2]
    load_average = os.getloadavg()[0]
    result = figure(
        "compile every attendance total (all dimensions, per year and all years)",
        compiled,
        "s",
        baseline_name="one hand-written GROUP BY (country × year)",
        baseline_samples=baseline,
        better="lower",
        notes=(
            f"{stored_rows} total rows stored per compile; median of per-run ratios "
            f"{paired_median:.2f}x; load average {load_average:.1f} when done"
        ),
    )
    result["paired_ratios"] = [round(r, 3) for r in paired]
    # Stated as "times the baseline" so the goal reads as the issue puts it: within 2×.
    result["ratio"] = result["value"] / result["baseline_value"]
    result["goal"] = "<= 2"
    result["met"] = result["ratio"] <= 2
    write_result(
        "attendance_totals",
        [result],
        runs=args.runs,
        description=(
            "compile_totals() over all attendance vs one SQL GROUP BY over the same rows, "
            "PostgreSQL, same run"
        ),
        checks={
            "attendance_rows": loaded,
            "country_totals_match_ok": stored == expected,
        },
        parameters={
            "people": people,
            "events": events,
            "attendance_rows": rows,
            "load_seconds": round(load_seconds, 1),
        },
    )
    print(
        f"compile {result['value']:.2f}s vs GROUP BY {result['baseline_value']:.2f}s: "
        f"{result['ratio']:.2f}x; country totals match: {stored == expected}"
    )


if __name__ == "__main__":
    main()
