"""CPU per request of the registration storm's two endpoints, in process (a tool, not one of
`bench/run.py`'s benchmarks: the leading underscore keeps it out of its list).

The public form's POST (`/events/<slug>/register`) and the plain-INSERT baseline
(`/bench/plain-insert`) are sent alternately through Flask's test client to the benchmarks'
app (`bench.app:create_bench_app()`, the server settings of bench/registration_storm.py: CSRF
and rate limits off, the filesystem broker) on a private PostgreSQL database, with the storm's
event (cap 100, quotas AR 15 / BR 15 / MX 10) and applicants (a new event every 300). Each
request's cost is this thread's CPU time (`time.thread_time`): what a core spends on it,
which the load of a shared machine barely distorts, unlike wall time. Prints the medians and
their ratio (baseline / registration: the storm's rate ratio if both were bound by CPU).

    python bench/_cpu_per_request.py [--requests 600] [--profile out.prof]

`--profile` also records a cProfile (thread CPU clock) of the registrations alone.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_schema, private_database  # noqa: E402
from bench.registration_storm import COUNTRIES, make_event  # noqa: E402
from tests.storm import registration_forms  # noqa: E402

APPLICANTS_PER_EVENT = 300  # the storm's: 100 confirmed, 200 waitlisted


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600, help="of each kind")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", help="write a cProfile of the registrations here")
    args = parser.parse_args()
    with private_database("lanet_bench_cpu") as url, tempfile.TemporaryDirectory() as tmp:
        create_schema(url)
        os.environ.update(
            {
                "DATABASE_URL": url,
                "LANET_INSTANCE": tmp,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": "0",
                "RATELIMIT_ENABLED": "0",
                "MAIL_FOLDER": str(Path(tmp) / "mail"),
                "REDIS_URL": "",
            }
        )
        from bench.app import create_bench_app
        from lanet.extensions import db

        app = create_bench_app()
        client = app.test_client()
        profile = cProfile.Profile(time.thread_time) if args.profile else None
        cpu: dict[str, list[float]] = {"register": [], "baseline": []}
        statuses: dict[int, int] = {}
        total = args.warmup + args.requests
        slug, forms, baseline_forms = "", [], registration_forms(total, COUNTRIES, "b")
        process_start, measured_thread = time.process_time(), 0.0
        for number in range(total):
            if number % APPLICANTS_PER_EVENT == 0:
                event_number = number // APPLICANTS_PER_EVENT + 1
                slug = make_event(app, event_number)
                forms = registration_forms(APPLICANTS_PER_EVENT, COUNTRIES, f"r{event_number}")
            measured = number >= args.warmup
            for kind in ("register", "baseline"):
                if kind == "register":
                    path, data = f"/events/{slug}/register", forms[number % APPLICANTS_PER_EVENT]
                else:
                    path, data = "/bench/plain-insert", baseline_forms[number]
                if profile is not None and measured and kind == "register":
                    profile.enable()
                start = time.thread_time()
                answer = client.post(path, data=data)
                spent = time.thread_time() - start
                if profile is not None:
                    profile.disable()
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if measured:
                    cpu[kind].append(spent)
                measured_thread += spent
        # CPU of this process outside the requests' own thread (a timer thread's sends, the
        # garbage collector of other threads…), spread over the registrations: it is theirs.
        elsewhere = time.process_time() - process_start - measured_thread
        with app.app_context():
            db.engine.dispose()
    register, baseline = statistics.median(cpu["register"]), statistics.median(cpu["baseline"])
    print(
        f"{args.requests} of each; CPU per request, median: registration {register * 1000:.2f} "
        f"ms (mean {statistics.fmean(cpu['register']) * 1000:.2f}), plain insert "
        f"{baseline * 1000:.2f} ms (mean {statistics.fmean(cpu['baseline']) * 1000:.2f}); "
        f"ratio {baseline / register:.3f}; other threads {elsewhere / total * 1000:.2f} ms per "
        f"registration; answers {statuses}; load {os.getloadavg()[0]:.1f}"
    )
    if profile is not None:
        profile.dump_stats(args.profile)
    return 0 if set(statuses) <= {302, 201} else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
