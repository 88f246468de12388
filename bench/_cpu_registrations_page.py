"""CPU per request of the organizer's registrations page against the minimal endpoint, in
process (a tool, not one of `bench/run.py`'s benchmarks: the leading underscore keeps it out).

The event of bench/registrations.py (5,000 registrations by default) is loaded into a private
PostgreSQL database; a signed-in organizer's GET of its registrations page and `/bench/ping`
are sent alternately through Flask's test client to the benchmarks' app. Each request's cost
is this thread's CPU time (`time.thread_time`), which a shared machine barely distorts, unlike
wall time. PostgreSQL's own CPU is read apart: the CPU time (/proc) of this database's
server processes over each kind's requests, divided by their number. Prints the medians, the
server's share and the ratios.

    python bench/_cpu_registrations_page.py [--requests 400] [--profile out.prof]
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
from bench.registrations import PASSWORD, analyze, seed  # noqa: E402


def server_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) so far of these PostgreSQL server processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400, help="of each kind")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", help="write a cProfile of the page requests here")
    args = parser.parse_args()
    with (
        private_database("lanet_bench_cpu_page") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        create_schema(url)
        seeded = seed(url, args.registrations)
        analyze(url)
        os.environ.update(
            {
                "DATABASE_URL": url,
                "LANET_INSTANCE": tmp,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": "0",
                "LANET_DEV_PAGES": "0",
            }
        )
        from bench.app import create_bench_app
        from lanet.extensions import db

        app = create_bench_app()
        app.config.update(WTF_CSRF_ENABLED=False)
        client = app.test_client()
        signed = client.post("/login", data={"email": seeded["email"], "password": PASSWORD})
        assert signed.status_code == 302, signed.status_code
        paths = {
            "page": f"/manage/events/{seeded['big']}/registrations",
            "ping": "/bench/ping",
        }
        profile = cProfile.Profile(time.thread_time) if args.profile else None
        cpu: dict[str, list[float]] = {name: [] for name in paths}
        server: dict[str, float] = dict.fromkeys(paths, 0.0)
        statuses: dict[int, int] = {}
        with app.app_context():
            database = db.engine.url.database
            pids = list(
                db.session.scalars(
                    db.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                    {"d": database},
                )
            )
            db.session.remove()
        for number in range(args.warmup + args.requests):
            measured = number >= args.warmup
            for name, path in paths.items():
                before = server_cpu(pids) if measured else 0.0
                if profile is not None and measured and name == "page":
                    profile.enable()
                start = time.thread_time()
                answer = client.get(path, headers={"Accept-Language": "es"})
                spent = time.thread_time() - start
                if profile is not None:
                    profile.disable()
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if measured:
                    cpu[name].append(spent)
                    server[name] += server_cpu(pids) - before
        with app.app_context():
            db.engine.dispose()
    page, ping = statistics.median(cpu["page"]), statistics.median(cpu["ping"])
    page_server, ping_server = (server[name] / args.requests for name in ("page", "ping"))
    print(
        f"{args.requests} of each; CPU per request, median: page {page * 1000:.3f} ms, ping "
        f"{ping * 1000:.3f} ms; ratio {ping / page:.3f}; PostgreSQL's CPU per request, mean: "
        f"page {page_server * 1000:.3f} ms, ping {ping_server * 1000:.3f} ms; ratio with it "
        f"{(ping + ping_server) / (page + page_server):.3f}; answers {statuses}; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if profile is not None:
        profile.dump_stats(args.profile)
    return 0 if set(statuses) == {200} else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
