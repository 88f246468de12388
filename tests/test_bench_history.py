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
