"""The beat container's health check: is the worker heartbeat fresh?

It lives with the workers because it builds the app (`create_app`), which lanet/core must not.
"""

from __future__ import annotations

import argparse

from lanet import create_app
from lanet.core import health


def main(argv: list[str] | None = None) -> int:
    """`python -m workers.healthcheck --max-heartbeat-age 180`: the beat container's health check.

    Beat schedules the heartbeat task every minute and a worker records it: a fresh heartbeat
    proves that beat ticks and a worker consumes.
    """
    parser = argparse.ArgumentParser(prog="python -m workers.healthcheck")
    parser.add_argument("--max-heartbeat-age", type=float, default=180.0)
    args = parser.parse_args(argv)
    try:
        with create_app().app_context():
            age = health.heartbeat_age_seconds()
    except Exception as exc:  # the check's answer is "unhealthy", never a traceback
        print(f"cannot read the worker heartbeat: {type(exc).__name__}")
        return 1
    if age is None or age > args.max_heartbeat_age:
        print(f"worker heartbeat is {'missing' if age is None else f'{age:.0f}s old'}")
        return 1
    print(f"worker heartbeat {age:.0f}s old")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
