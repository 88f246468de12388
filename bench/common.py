"""Helpers shared by the benchmark scripts: medians, the result file, a private database.

Only the JSON shape of `bench/results/<name>.json` (see bench/README.md) is the contract;
these helpers are a convenience.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("LANET_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LANET_BENCH_REDIS", "redis://127.0.0.1:6379/14")


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def timed(function: Callable[[], Any]) -> float:
    """Seconds one call takes, on the monotonic clock."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def goal_met(goal: str | None, ratio: float | None) -> bool | None:
    """`goal` is '>= 0.5', '> 1', '<= 2' or '< 2', compared with the ratio."""
    if not goal or ratio is None:
        return None
    text = goal.strip()
    for operator in (">=", "<=", ">", "<"):
        if text.startswith(operator):
            try:
                bound = float(text[len(operator) :].strip().rstrip("x×"))
            except ValueError:
                return None
            return {
                ">=": ratio >= bound,
                "<=": ratio <= bound,
                ">": ratio > bound,
                "<": ratio < bound,
            }[operator]
    return None


def figure(
    name: str,
    samples: list[float],
    unit: str,
    *,
    baseline_name: str | None = None,
    baseline_samples: list[float] | None = None,
    goal: str | None = None,
    better: str = "higher",
    notes: str | None = None,
) -> dict[str, Any]:
    """A figure with its medians, ratio to the baseline and whether the goal is met."""
    value = median(samples)
    result: dict[str, Any] = {"name": name, "value": value, "unit": unit, "samples": samples}
    result["better"] = better
    if baseline_samples:
        baseline = median(baseline_samples)
        result.update(
            baseline_name=baseline_name,
            baseline_value=baseline,
            baseline_samples=baseline_samples,
        )
        if value and baseline:
            result["ratio"] = value / baseline if better == "higher" else baseline / value
    if goal:
        result["goal"] = goal
        result["met"] = goal_met(goal, result.get("ratio"))
    if notes:
        result["notes"] = notes
    return result


def write_result(
    name: str,
    figures: list[dict[str, Any]],
    *,
    runs: int,
    description: str = "",
    checks: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    body = {
        "benchmark": name,
        "description": description,
        "runs": runs,
        "figures": figures,
        "checks": checks or {},
        "parameters": parameters or {},
    }
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")
    return path


@contextlib.contextmanager
def private_database(prefix: str = "lanet_bench") -> Iterator[str]:
    """A fresh PostgreSQL database on the shared server, dropped afterwards.

    Yields a SQLAlchemy URL (postgresql+psycopg://...).
    """
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_schema(database_url: str) -> None:
    """Every table of the models, as `flask db upgrade` would leave them."""
    from lanet import create_app
    from lanet.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def insert_select(connection: Any, model: Any, columns: dict[str, str], source: str) -> None:
    """`INSERT INTO <model's table> (columns) SELECT <expressions> FROM source`: bulk rows
    built inside the database (e.g. `source="generate_series(1, 1000) AS i"`).

    `columns` maps column names to SQL expressions (`%` is modulo: nothing is a parameter).
    Every column left out gets what the model gives a new row: its Python-side default
    (evaluated once for the whole statement: `dict` -> `{}`, `utcnow` -> now) or its server
    default. So a NOT NULL column added later with a default needs no change in a loader; one
    without a default must be named here, and the INSERT says which. A hand-written INSERT
    listing every column broke on each new column (`description_translations` in 2026-11).
    """
    from sqlalchemy import insert, literal_column, select, text

    table = getattr(model, "__table__", model)
    rows = select(*(literal_column(expr).label(name) for name, expr in columns.items()))
    connection.execute(insert(table).from_select(list(columns), rows.select_from(text(source))))


async def http_exchange(reader: Any, writer: Any, request: bytes) -> tuple[bytes, bool]:
    """One HTTP/1.1 request on a kept-alive connection: the status line, and whether the
    server closes the connection; the body is read and dropped."""
    writer.write(request)
    status_line = await reader.readline()
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    await reader.readexactly(length)
    return status_line, close
