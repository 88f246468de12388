"""Runs every benchmark in bench/ and writes the table: `python bench/run.py`.

Each `bench/<name>.py` runs as its own subprocess and writes `bench/results/<name>.json`
(the shape is in bench/README.md). This runner then writes `bench/results/summary.json` and
`docs/benchmarks.md`: each figure next to its baseline measured in the same run, the ratio,
the goal and whether it is met, with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.common import PG_ADMIN_URL, REDIS_URL, goal_met  # noqa: E402

RESULTS = BENCH / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
# Modules the benchmarks share (bench/profiling.py: the storm server's per-request timings).
NOT_BENCHMARKS = {"run", "common", "app", "profiling", "__init__"}
# The goals, for figures whose script states none (matched by name prefix).
DEFAULT_GOALS = {
    ("registration_storm", "registrations per second"): ">= 0.5",
}
# Goals the issue states between two figures of one benchmark rather than against its
# baseline: (benchmark, figure, compared with figure, name of the derived figure, goal).
DERIVED = [
    (
        "calendar_feed",
        "network feed served from storage",
        "cold build of the network feed",
        "network feed served from storage vs its cold build (times faster)",
        ">= 20",
    ),
]
# Correctness counts that must be zero, whatever the speed.
_MUST_BE_ZERO = ("overbooked", "lost", "duplicated", "duplicate", "missing")


def discover(only: list[str] | None = None) -> list[Path]:
    scripts = sorted(
        path
        for path in BENCH.glob("*.py")
        if path.stem not in NOT_BENCHMARKS and not path.stem.startswith("_")
    )
    if only:
        scripts = [path for path in scripts if path.stem in only]
    return scripts


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_script(path: Path, *, quick: bool, timeout: float) -> dict[str, Any]:
    """Runs one benchmark; returns how it went (status, seconds, where its log is)."""
    name = path.stem
    result_file = RESULTS / f"{name}.json"
    log_file = RESULTS / f"{name}.log"
    # A result left by an earlier run must not pass for this run's.
    result_file.unlink(missing_ok=True)
    args = [sys.executable, str(path), *(["--quick"] if quick else [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    print(f"== {name}: {' '.join(args[1:])}", flush=True)
    status = "ok"
    with log_file.open("wb") as log:
        try:
            process = subprocess.run(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout
            )
            if process.returncode != 0:
                status = f"failed (exit {process.returncode})"
        except subprocess.TimeoutExpired:
            status = f"timed out after {timeout:.0f}s"
    if status == "ok" and not result_file.exists():
        status = f"failed (wrote no {_shown(result_file)})"
    seconds = time.monotonic() - started
    print(f"   {status} in {seconds:.0f}s", flush=True)
    run = {
        "status": status,
        "seconds": round(seconds, 1),
        "log": _shown(log_file),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "quick": quick,
    }
    if result_file.exists():
        stamp_result(result_file, run)
    return run


def _commit() -> str:
    return _read(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])


def stamp_result(result_file: Path, run: dict[str, Any]) -> None:
    """Writes into the result when and at which commit it was measured, so that a later
    `--only` run of another benchmark can show it with its own date and commit."""
    try:
        body = json.loads(result_file.read_text())
    except json.JSONDecodeError:
        return  # collect() reports it as unreadable
    if not isinstance(body, dict):
        return
    body["run"] = {
        key: run[key] for key in ("run_at", "commit", "quick", "seconds", "status") if key in run
    }
    result_file.write_text(json.dumps(body, indent=2, default=str) + "\n")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def normalise_figure(raw: dict[str, Any]) -> dict[str, Any]:
    """One figure with ratio and `met` filled in where the script left them out."""
    figure = dict(raw)
    figure.setdefault("name", figure.get("figure") or figure.get("metric") or "?")
    value = _number(figure.get("value"))
    baseline = _number(figure.get("baseline_value", figure.get("baseline")))
    if isinstance(figure.get("baseline"), dict):
        baseline = _number(figure["baseline"].get("value"))
        figure.setdefault("baseline_name", figure["baseline"].get("name"))
    figure["value"] = value
    figure["baseline_value"] = baseline
    ratio = _number(figure.get("ratio"))
    if ratio is None and value and baseline:
        lower_is_better = str(figure.get("better", "higher")).lower() == "lower"
        ratio = baseline / value if lower_is_better else value / baseline
    figure["ratio"] = ratio
    if figure.get("goal") is not None and not isinstance(figure["goal"], str):
        figure["goal"] = f">= {figure['goal']}"
    if not isinstance(figure.get("met"), bool):
        figure["met"] = goal_met(figure.get("goal"), ratio)
    return figure


def _figures_of(name: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    figures = body.get("figures")
    if isinstance(figures, dict):
        figures = [{"name": key, **value} for key, value in figures.items()]
    if not figures and "value" in body:
        figures = [body]
    figures = [dict(f) for f in figures or [] if isinstance(f, dict)]
    for figure in figures:
        for (benchmark, prefix), goal in DEFAULT_GOALS.items():
            if benchmark == name and str(figure.get("name", "")).startswith(prefix):
                figure.setdefault("goal", goal)
    return [normalise_figure(f) for f in figures] + _derived(name, figures)


def _derived(name: str, figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Figures the issue compares with each other: the faster one over the slower one."""
    found = []
    for benchmark, fast_prefix, slow_prefix, label, goal in DERIVED:
        if benchmark != name:
            continue
        fast = next((f for f in figures if str(f.get("name")).startswith(fast_prefix)), None)
        slow = next((f for f in figures if str(f.get("name")).startswith(slow_prefix)), None)
        if fast is None or slow is None:
            continue
        found.append(
            normalise_figure(
                {
                    "name": label,
                    "value": fast.get("value"),
                    "unit": fast.get("unit"),
                    "baseline_name": slow.get("name"),
                    "baseline_value": slow.get("value"),
                    "better": "lower",
                    "goal": goal,
                    "notes": "derived by bench/run.py from the two figures above (medians)",
                }
            )
        )
    return found


def failed_checks(checks: dict[str, Any]) -> list[str]:
    """The correctness checks that failed: `*_ok` false, or a must-be-zero count above 0."""
    failed = []
    for key, value in (checks or {}).items():
        lowered = key.lower()
        if lowered.endswith("_ok") and value is False:
            failed.append(key)
        elif any(word in lowered for word in _MUST_BE_ZERO):
            number = _number(value)
            if number is not None and number > 0:
                failed.append(key)
    return failed


def collect(
    name: str, run: dict[str, Any] | None, *, results: Path | None = None
) -> dict[str, Any]:
    result_file = (results or RESULTS) / f"{name}.json"
    entry: dict[str, Any] = {"benchmark": name, "status": (run or {}).get("status", "ok")}
    if run:
        entry.update(seconds=run["seconds"], log=run["log"])
        for key in ("run_at", "commit", "quick"):
            if key in run:
                entry[key] = run[key]
    if not result_file.exists():
        entry["status"] = entry["status"] if entry["status"] != "ok" else "no result"
        entry["figures"] = []
        return entry
    try:
        body = json.loads(result_file.read_text())
    except json.JSONDecodeError as exc:
        entry.update(status=f"unreadable result ({exc})", figures=[])
        return entry
    stamp = body.get("run") if isinstance(body.get("run"), dict) else {}
    for key in ("run_at", "commit", "quick", "seconds"):
        if key not in entry and stamp.get(key) is not None:
            entry[key] = stamp[key]
    if run is None and stamp.get("status"):
        entry["status"] = stamp["status"]
    entry.update(
        description=body.get("description", ""),
        runs=body.get("runs"),
        figures=_figures_of(name, body),
        checks=body.get("checks") or {},
        parameters=body.get("parameters") or {},
    )
    entry["failed_checks"] = failed_checks(entry["checks"])
    return entry


def earlier_run(
    name: str, *, history: Path | None = None, summary_file: Path | None = None
) -> dict[str, Any]:
    """When and at which commit a result left by an earlier run was measured, for results
    written before the runner stamped them: the last run in the history that has the
    benchmark, else the last summary that shows it, else the commit that stored the file."""
    history = history or HISTORY
    if history.exists():
        found = None
        for line in history.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if name in (record.get("benchmarks") or {}):
                found = record
        if found:
            return {
                "run_at": found.get("finished_at"),
                "commit": found.get("commit"),
                "quick": found.get("quick", False),
            }
    summary_file = summary_file or RESULTS / "summary.json"
    try:
        previous = json.loads(summary_file.read_text())
    except (OSError, json.JSONDecodeError):
        previous = {}
    for entry in previous.get("benchmarks") or []:
        if entry.get("benchmark") == name:
            return {
                "run_at": entry.get("run_at") or previous.get("finished_at"),
                "commit": entry.get("commit") or (previous.get("machine") or {}).get("commit"),
                "quick": entry.get("quick", False),
                "seconds": entry.get("seconds"),
            }
    stored = _read(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI", "--", f"bench/results/{name}.json"]
    ).split()
    if len(stored) == 2:
        return {"run_at": stored[1], "commit": stored[0], "quick": False}
    return {}


def kept_from_earlier_runs(ran: list[str], *, results: Path | None = None) -> list[dict[str, Any]]:
    """The other benchmarks' last results, so that `--only NAME` does not drop their rows
    from the table: each keeps its own run date and commit."""
    kept = []
    for script in discover():
        if script.stem in ran or not ((results or RESULTS) / f"{script.stem}.json").exists():
            continue
        entry = collect(script.stem, None, results=results)
        if "run_at" not in entry:
            found = earlier_run(script.stem)
            entry.update({key: value for key, value in found.items() if value is not None})
        entry["kept"] = True
        kept.append(entry)
    return kept


def _read(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": _postgres_version(),
        "redis": _redis_version(),
        "commit": _commit(),
    }


def _postgres_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # no server: say so in the table rather than fail the run
        return None


def _redis_version() -> str | None:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_timeout=3).info("server")["redis_version"]
    except Exception:  # no server
        return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _met_text(figure: dict[str, Any]) -> str:
    return {True: "yes", False: "**no**", None: "—"}[figure.get("met")]


def _ratio_text(figure: dict[str, Any]) -> str:
    ratio = figure.get("ratio")
    if ratio is None:
        return "—"
    # Three digits: a ratio of 0.298 against a goal of 0.3 must not read as 0.30.
    return f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.3g}"


def _measured(entry: dict[str, Any]) -> str:
    """Date and commit of the run that measured this benchmark's rows (short, for the table)."""
    day = str(entry.get("run_at") or "")[:10] or "?"
    text = f"{day} {entry.get('commit') or '?'}"
    return text + (" quick" if entry.get("quick") else "")


def _measured_long(entry: dict[str, Any]) -> str:
    text = (
        f"run {entry.get('run_at') or 'at an unknown date'} at commit {entry.get('commit') or '?'}"
    )
    if entry.get("quick"):
        text += ", quick sizes"
    if entry.get("kept"):
        text += ", kept from that run"
    return text


def _run_lines(summary: dict[str, Any]) -> list[str]:
    m = summary["machine"]
    ran = [e["benchmark"] for e in summary["benchmarks"] if not e.get("kept")]
    kept = [e["benchmark"] for e in summary["benchmarks"] if e.get("kept")]
    line = (
        f"Run: {summary['finished_at']} (commit {m.get('commit') or '?'}), "
        f"{summary['total_seconds']:.0f} s in all"
    )
    if not kept:
        return [line + "."]
    if not ran:
        return [
            f"Table rewritten on {summary['finished_at']} from the stored results "
            '(`--report-only`): the column "measured" gives each benchmark\'s run date and commit.'
        ]
    return [
        line + f", of {', '.join(ran) or 'nothing'} only (`--only`).",
        f"The rows of {', '.join(kept)} are kept from their last runs: the column "
        '"measured" gives each one\'s date and commit.',
    ]


def markdown(summary: dict[str, Any]) -> str:
    m = summary["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `python bench/run.py` (or `./manage.sh bench`); do not edit by hand.",
        "Every figure is the median of several runs and stands next to a baseline measured in",
        "the same run on the same machine; the ratio is figure ÷ baseline (for times: baseline ÷",
        "figure, so higher is better everywhere) and is what the goal is about.",
        "",
        *_run_lines(summary),
        "",
        "Machine: "
        f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB memory, {m.get('os')}; "
        f"Python {m.get('python')}, PostgreSQL {m.get('postgresql') or '—'}, "
        f"Redis {m.get('redis') or '—'}.",
        "",
        "| benchmark | figure | median | baseline | baseline median | ratio | goal | met | runs "
        "| measured |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in summary["benchmarks"]:
        if not entry["figures"]:
            lines.append(
                f"| {entry['benchmark']} | {entry['status']} | — | — | — | — | — | **no** | — "
                f"| {_measured(entry)} |"
            )
            continue
        for figure in entry["figures"]:
            unit = figure.get("unit") or ""
            lines.append(
                "| {b} | {n} | {v} {u} | {bn} | {bv} {u} | {r} | {g} | {met} | {runs} "
                "| {measured} |".format(
                    b=entry["benchmark"],
                    n=figure["name"],
                    v=_fmt(figure.get("value")),
                    u=unit,
                    bn=figure.get("baseline_name") or "—",
                    bv=_fmt(figure.get("baseline_value")),
                    r=_ratio_text(figure),
                    g=figure.get("goal") or "—",
                    met=_met_text(figure),
                    runs=entry.get("runs") or "—",
                    measured=_measured(entry),
                )
            )
    lines += ["", "## Checks and notes", ""]
    for entry in summary["benchmarks"]:
        head = f"- **{entry['benchmark']}** ({entry['status']}"
        head += f", {entry['seconds']:.0f} s" if entry.get("seconds") is not None else ""
        head += f"; {_measured_long(entry)})"
        if entry.get("description"):
            head += f": {entry['description']}"
        lines.append(head)
        checks = entry.get("checks") or {}
        if checks:
            failed = set(entry.get("failed_checks") or [])
            shown = ", ".join(
                f"{key} = {value}{' (FAILED)' if key in failed else ''}"
                for key, value in checks.items()
            )
            lines.append(f"  - checks: {shown}")
        if entry.get("parameters"):
            shown = ", ".join(f"{k} = {v}" for k, v in entry["parameters"].items())
            lines.append(f"  - parameters: {shown}")
        for figure in entry["figures"]:
            if figure.get("notes"):
                lines.append(f"  - {figure['name']}: {figure['notes']}")
    lines.append("")
    return "\n".join(lines)


def summarise(entries: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    figures = [f for e in entries for f in e["figures"]]
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "total_seconds": round(seconds, 1),
        "machine": machine(),
        "benchmarks": entries,
        "goals_met": sum(1 for f in figures if f.get("met") is True),
        "goals_missed": sum(1 for f in figures if f.get("met") is False),
        "failed": [
            e["benchmark"] for e in entries if e["status"] != "ok" or e.get("failed_checks")
        ],
    }


HISTORY = RESULTS / "history.jsonl"


def history_record(summary: dict[str, Any], *, quick: bool = False) -> dict[str, Any]:
    """One line of bench/results/history.jsonl: enough to compare this run with the last."""
    m = summary["machine"]
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not every platform has it
        load = None
    return {
        "finished_at": summary["finished_at"],
        "commit": m.get("commit"),
        "quick": quick,
        # The machine is shared and loaded: a ratio means more when the load beside it shows.
        "machine": {"nproc": m.get("cores"), "cpu": m.get("cpu"), "load_average": load},
        "benchmarks": {
            entry["benchmark"]: {
                "status": entry["status"],
                "failed_checks": entry.get("failed_checks") or [],
                "figures": {
                    f["name"]: {
                        "value": f.get("value"),
                        "unit": f.get("unit"),
                        "baseline": f.get("baseline_value"),
                        "ratio": f.get("ratio"),
                        "goal": f.get("goal"),
                        "met": f.get("met"),
                    }
                    for f in entry["figures"]
                },
            }
            for entry in summary["benchmarks"]
        },
    }


def append_history(
    summary: dict[str, Any], *, quick: bool = False, path: Path | None = None
) -> None:
    """Appends this run to the history (one JSON object a line; never rewrites earlier runs)."""
    path = path or HISTORY
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as history:
        history.write(json.dumps(history_record(summary, quick=quick), default=str) + "\n")


def write(summary: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(markdown(summary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated script names (without .py)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per script")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the table from existing results"
    )
    args = parser.parse_args(argv)
    only = [n.strip() for n in args.only.split(",")] if args.only else None
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    entries = []
    if not args.report_only:
        for script in discover(only):
            run = run_script(script, quick=args.quick, timeout=args.timeout)
            entries.append(collect(script.stem, run))
    seconds = time.monotonic() - started
    ran = [entry["benchmark"] for entry in entries]
    if only or args.report_only:
        # The table shows every benchmark: those not run now keep their last rows, each
        # with its own date and commit (a run of one benchmark must not drop the others).
        entries += kept_from_earlier_runs(ran)
        entries.sort(key=lambda entry: entry["benchmark"])
    summary = summarise(entries, seconds)
    write(summary)
    print(f"wrote {_shown(DOCS)} and {_shown(RESULTS / 'summary.json')}")
    if args.report_only:  # a rewritten table is not a new run
        return 0
    # The history and the exit status are about what this run measured, not the kept rows.
    this_run = summarise([entry for entry in entries if not entry.get("kept")], seconds)
    append_history(this_run, quick=args.quick)
    print(f"appended the run to {_shown(HISTORY)}")
    print(f"goals met: {this_run['goals_met']}, missed: {this_run['goals_missed']}")
    if this_run["failed"]:
        print(f"failed: {', '.join(this_run['failed'])}")
    return 1 if this_run["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
