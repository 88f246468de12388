"""No user enumeration by timing: how long sign-in and the password-reset form take for an
email that has no account, next to one that has (the baseline), through a real gunicorn on
PostgreSQL.

Goal (issue 4): each pair within 20% of each other (ratio = faster / slower >= 0.8), medians
of several runs; requests alternate between the two emails so drift affects both alike.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import figure, private_database, write_result  # noqa: E402

GOAL = ">= 0.8"
KNOWN = "staff@bench.lanet.example"
UNKNOWN = "nobody@bench.lanet.example"


def seed(database_url: str) -> None:
    from lanet import create_app
    from lanet.accounts import service
    from lanet.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        service.create_staff(KNOWN, "bench password 2014", "Bench", "Staff")
        db.engine.dispose()


def _post(session: requests.Session, url: str, data: dict) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    response = session.post(url, data=data, timeout=30, allow_redirects=False)
    return time.perf_counter() - started, response.status_code, response.content


def _visible(body: bytes) -> bytes:
    # The form echoes the typed email back; everything else must be the same.
    return re.sub(rb'value="[^"]*"', b"", body)


def measure(base: str, path: str, data_for, per_run: int) -> tuple[float, float, bool]:
    """Median seconds for the unknown and the known email, and whether the pages matched."""
    session = requests.Session()
    known, unknown, same = [], [], True
    for _ in range(per_run):
        t_known, s_known, b_known = _post(session, base + path, data_for(KNOWN))
        t_unknown, s_unknown, b_unknown = _post(session, base + path, data_for(UNKNOWN))
        known.append(t_known)
        unknown.append(t_unknown)
        same = same and s_known == s_unknown and _visible(b_known) == _visible(b_unknown)
    return statistics.median(unknown), statistics.median(known), same


def _symmetric(result: dict) -> dict:
    """Equal is the goal, not faster: the ratio is the faster time over the slower one."""
    value, baseline = result["value"], result.get("baseline_value")
    if value and baseline:
        result["ratio"] = min(value, baseline) / max(value, baseline)
        result["met"] = result["ratio"] >= 0.8
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs, per_run = (3, 8) if args.quick else (5, 15)

    from tests.processes import start_gunicorn

    with (
        private_database("lanet_bench_login") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        seed(database_url)
        env = {
            "DATABASE_URL": database_url,
            "LANET_INSTANCE": tmp,
            "MAIL_FOLDER": str(Path(tmp) / "mail"),
            "RATELIMIT_ENABLED": "0",
            "WTF_CSRF_ENABLED": "0",
            "SECRET_KEY": "bench",
        }
        process, base = start_gunicorn(env, Path(tmp) / "gunicorn.log", workers=1, threads=1)
        try:
            requests.get(base + "/login", timeout=30)  # warm up
            login = {"unknown": [], "known": []}
            reset = {"unknown": [], "known": []}
            same = True
            for _ in range(runs):
                u, k, ok = measure(
                    base, "/login", lambda e: {"email": e, "password": "wrong password"}, per_run
                )
                login["unknown"].append(u)
                login["known"].append(k)
                u, k, ok_reset = measure(base, "/password/forgot", lambda e: {"email": e}, per_run)
                reset["unknown"].append(u)
                reset["known"].append(k)
                same = same and ok and ok_reset
        finally:
            process.stop()

    ms = lambda values: [round(v * 1000, 2) for v in values]  # noqa: E731
    figures = [
        _symmetric(
            figure(
                "sign-in with an unknown email (wrong password)",
                ms(login["unknown"]),
                "ms",
                baseline_name="known email, wrong password",
                baseline_samples=ms(login["known"]),
                goal=GOAL,
                better="lower",
                notes="ratio = faster / slower: 1.0 is indistinguishable",
            )
        ),
        _symmetric(
            figure(
                "password-reset request for an unknown email",
                ms(reset["unknown"]),
                "ms",
                baseline_name="known email (token, outbox row, audit entry)",
                baseline_samples=ms(reset["known"]),
                goal=GOAL,
                better="lower",
                notes="ratio = faster / slower: 1.0 is indistinguishable",
            )
        ),
    ]
    path = write_result(
        "login_timing",
        figures,
        runs=runs,
        description="sign-in and reset answer times, unknown vs known email (no enumeration)",
        checks={"same_answer_ok": same},
        parameters={"requests_per_run_and_email": per_run, "gunicorn": "1 worker, 1 thread"},
    )
    print(path.read_text())


if __name__ == "__main__":
    main()
