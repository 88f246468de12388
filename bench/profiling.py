"""Per-request measurements for the benchmarks' server (never part of the product).

`LANET_BENCH_PROFILE=<folder>` makes `bench.app:create_bench_app()` record, for every request,
one JSON line in `<folder>/requests-<pid>.jsonl`: path, wall seconds, this thread's CPU seconds,
and how long the request held the event's seat lock (from the statement that takes it to the
end of the commit), with the number of statements sent while holding it and the part of the
hold before the COMMIT was sent.
`LANET_BENCH_PROFILE_MODE=cprofile` (wall time) or `cpu` (the thread's CPU time, the
cores' share of each function) also dumps a cProfile of each request (per thread:
cProfile only sees the thread that enables it) as `<folder>/<kind>-<pid>-<n>.prof`;
`summarize(folder)` merges them. cProfile slows the Python side down, so its rates are not
figures: the timing lines (mode `timing`, the default) are.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import threading
import time
from pathlib import Path

# The statements that take the event's seat lock (old and new seat steps).
_LOCK_MARKERS = ("FOR NO KEY UPDATE", "UPDATE events SET seats_confirmed")

_state = threading.local()
_counter = itertools.count()


def install(app, folder: str) -> None:
    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session

    from lanet.extensions import db

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    mode = os.environ.get("LANET_BENCH_PROFILE_MODE", "timing")
    with app.app_context():
        engine = db.engine

    @sa_event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, *args) -> None:
        if not hasattr(_state, "statements"):
            return
        _state.statements += 1
        if _state.lock_at is not None:
            _state.locked_statements += 1
        elif any(m in statement for m in _LOCK_MARKERS):
            _state.waiting_since = time.perf_counter()

    @sa_event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, *args) -> None:
        # Held from the moment the locking statement returns (its wait for the lock is not
        # holding it) to the end of the commit.
        if getattr(_state, "waiting_since", None) is not None:
            _state.lock_at = time.perf_counter()
            _state.waits.append(_state.lock_at - _state.waiting_since)
            _state.waiting_since = None
            _state.locked_statements = 0

    @sa_event.listens_for(engine, "commit")
    def _commit_sent(conn) -> None:
        # Right before the driver sends COMMIT: the part of the hold before it is the holder's
        # own (Python, and its waits for the GIL and a core); the rest is the COMMIT's round
        # trip and WAL flush, then the wait for the GIL again, which no longer holds the lock
        # on the server.
        if getattr(_state, "lock_at", None) is not None:
            _state.commit_sent = time.perf_counter()

    def _ended(session) -> None:
        if getattr(_state, "lock_at", None) is not None:
            now = time.perf_counter()
            sent = getattr(_state, "commit_sent", None) or now
            _state.held.append((now - _state.lock_at, _state.locked_statements))
            _state.before_commit.append(sent - _state.lock_at)
            _state.lock_at = _state.commit_sent = None

    sa_event.listen(Session, "after_commit", _ended)
    sa_event.listen(Session, "after_rollback", _ended)

    inner = app.wsgi_app

    def measured(environ, start_response):
        path = environ.get("PATH_INFO", "")
        kind = "baseline" if path.startswith("/bench/") else "register"
        _state.statements, _state.lock_at, _state.held = 0, None, []
        _state.waiting_since, _state.waits = None, []
        _state.commit_sent, _state.before_commit = None, []
        profile = None
        if mode == "cprofile":  # wall time per function
            profile = cProfile.Profile()
        elif mode == "cpu":  # this thread's CPU time per function: where the cores go
            profile = cProfile.Profile(time.thread_time)
        wall, cpu = time.perf_counter(), time.thread_time()
        if profile is not None:
            profile.enable()
        try:
            result = inner(environ, start_response)
            body = b"".join(result)
            if hasattr(result, "close"):
                result.close()
        finally:
            if profile is not None:
                profile.disable()
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            line = {
                "kind": kind,
                "path": path,
                "wall": wall,
                "cpu": cpu,
                "statements": _state.statements,
                "lock_held": [h for h, _ in _state.held],
                "locked_statements": [n for _, n in _state.held],
                "lock_wait": _state.waits,
                "lock_before_commit": _state.before_commit,
            }
            with (out / f"requests-{os.getpid()}.jsonl").open("a") as log:
                log.write(json.dumps(line) + "\n")
            if profile is not None:
                profile.dump_stats(out / f"{kind}-{os.getpid()}-{next(_counter)}.prof")
            del _state.statements
        return [body]

    app.wsgi_app = measured


def summarize(folder: str | Path, top: int = 30) -> str:
    """Medians per kind of request, and the merged cProfile of each kind if there is one."""
    import pstats
    import statistics
    from io import StringIO

    folder = Path(folder)
    rows: dict[str, list[dict]] = {}
    for path in folder.glob("requests-*.jsonl"):
        for raw in path.read_text().splitlines():
            row = json.loads(raw)
            rows.setdefault(row["kind"], []).append(row)
    text = StringIO()
    for kind, items in sorted(rows.items()):
        held = [h for r in items for h in r["lock_held"]]
        locked = [n for r in items for n in r["locked_statements"]]
        waits = [w for r in items for w in r.get("lock_wait", [])]
        before_commit = sorted(b for r in items for b in r.get("lock_before_commit", []))

        def med(values):
            return statistics.median(values) if values else 0.0

        text.write(
            f"{kind}: {len(items)} requests; median wall {med([r['wall'] for r in items]) * 1000:.1f} ms, "
            f"CPU {med([r['cpu'] for r in items]) * 1000:.1f} ms (mean "
            f"{statistics.fmean([r['cpu'] for r in items]) * 1000:.1f}), statements "
            f"{med([r['statements'] for r in items])}; seat lock taken {len(held)} times, held "
            f"median {med(held) * 1000:.1f} ms, p95 "
            f"{(sorted(held)[int(len(held) * 0.95) - 1] if held else 0) * 1000:.1f} ms, "
            f"sum {sum(held):.2f} s, statements under it (after the locking one, COMMIT "
            f"aside) {med(locked)}; waited for it median {med(waits) * 1000:.1f} ms; of the "
            f"hold, until COMMIT was sent: median {med(before_commit) * 1000:.1f} ms, p95 "
            f"{(before_commit[int(len(before_commit) * 0.95) - 1] if before_commit else 0) * 1000:.1f}"
            f" ms, sum {sum(before_commit):.2f} s\n"
        )
        profiles = sorted(folder.glob(f"{kind}-*.prof"))
        if profiles:
            stats = pstats.Stats(str(profiles[0]), stream=text)
            for extra in profiles[1:]:
                stats.add(str(extra))
            stats.files = [f"{len(profiles)} profiles of {kind} requests merged"]
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
    return text.getvalue()
