"""bench/run.py keeps every run in bench/results/history.jsonl, so a regression shows next to
the last run (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import run


def _summary(ratio_value: float) -> dict:
    entry = {
        "benchmark": "pages",
        "status": "ok",
        "figures": [
            run.normalise_figure(
                {"name": "event list", "value": ratio_value, "baseline_value": 100.0, "goal": 0.25}
            )
        ],
        "failed_checks": [],
    }
    return run.summarise([entry], 1.0)


def test_every_run_is_appended_with_commit_machine_and_figures(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    run.append_history(_summary(20.0), path=history)
    run.append_history(_summary(30.0), quick=True, path=history)

    lines = [json.loads(line) for line in history.read_text().splitlines()]
    assert len(lines) == 2  # appended, the first run is kept
    first, second = lines
    assert first["commit"] == second["commit"] and first["commit"]
    machine = first["machine"]
    assert machine["nproc"] >= 1 and machine["cpu"]
    assert len(machine["load_average"]) == 3
    figure = first["benchmarks"]["pages"]["figures"]["event list"]
    assert figure["ratio"] == 0.2 and figure["baseline"] == 100.0 and figure["met"] is False
    assert second["benchmarks"]["pages"]["figures"]["event list"]["ratio"] == 0.3
    assert second["quick"] is True and first["quick"] is False


def _result(results: Path, name: str, value: float, stamp: dict | None = None) -> None:
    body = {
        "benchmark": name,
        "description": f"{name} bench",
        "runs": 3,
        "figures": [{"name": f"{name} figure", "value": value, "unit": "req/s"}],
    }
    if stamp:
        body["run"] = stamp
    (results / f"{name}.json").write_text(json.dumps(body))


def test_only_keeps_the_other_benchmarks_rows_with_their_own_run(
    tmp_path: Path, monkeypatch
) -> None:
    """`--only pages` rewrote docs/benchmarks.md with the pages rows alone: the other
    benchmarks' last rows were lost. Now they are kept, each with its own date and commit,
    and the history gets only what this run measured."""
    bench_dir = tmp_path / "bench"
    results = bench_dir / "results"
    results.mkdir(parents=True)
    for name in ("pages", "mail_bulk", "registration_storm"):
        (bench_dir / f"{name}.py").write_text("")
    _result(
        results, "mail_bulk", 144.0, {"run_at": "2026-11-28T00:37:25+00:00", "commit": "aaa111"}
    )
    _result(results, "registration_storm", 53.0)  # written before results were stamped
    (results / "history.jsonl").write_text(
        json.dumps(
            {
                "finished_at": "2026-11-30T08:47:06+00:00",
                "commit": "bbb222",
                "quick": False,
                "benchmarks": {"registration_storm": {"status": "ok", "figures": {}}},
            }
        )
        + "\n"
    )
    docs = tmp_path / "benchmarks.md"
    monkeypatch.setattr(run, "BENCH", bench_dir)
    monkeypatch.setattr(run, "RESULTS", results)
    monkeypatch.setattr(run, "HISTORY", results / "history.jsonl")
    monkeypatch.setattr(run, "DOCS", docs)

    def fake_run(path: Path, *, quick: bool, timeout: float) -> dict:
        _result(results, path.stem, 400.0)
        return {
            "status": "ok",
            "seconds": 1.0,
            "log": "x.log",
            "run_at": "2026-11-30T10:00:00+00:00",
            "commit": "ccc333",
            "quick": quick,
        }

    monkeypatch.setattr(run, "run_script", fake_run)
    assert run.main(["--only", "pages"]) == 0

    table = docs.read_text()
    rows = {
        line.split(" | ")[0].lstrip("| "): line
        for line in table.splitlines()
        if line.startswith("| ") and " figure | " in line and "| benchmark |" not in line
    }
    assert set(rows) == {"pages", "mail_bulk", "registration_storm"}
    assert "2026-11-30 ccc333" in rows["pages"] and "400" in rows["pages"]
    assert "2026-11-28 aaa111" in rows["mail_bulk"] and "144" in rows["mail_bulk"]
    assert "2026-11-30 bbb222" in rows["registration_storm"]  # found in the history
    assert "of pages only" in table
    summary = json.loads((results / "summary.json").read_text())
    assert [e["benchmark"] for e in summary["benchmarks"]] == [
        "mail_bulk",
        "pages",
        "registration_storm",
    ]
    history = [json.loads(line) for line in (results / "history.jsonl").read_text().splitlines()]
    assert len(history) == 2 and list(history[-1]["benchmarks"]) == ["pages"]


def test_every_script_run_discovers_is_a_benchmark_that_writes_its_result() -> None:
    """Tools and shared modules in bench/ (a leading underscore, or NOT_BENCHMARKS) are not
    run as benchmarks: run as one, they fail and stand as failed rows of docs/benchmarks.md."""
    scripts = run.discover()
    assert scripts, "no benchmark found"
    assert [p.stem for p in scripts if "write_result(" not in p.read_text()] == []
