"""Migrations build the schema on an empty database and match the models exactly."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests import services

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FLASK, "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _upgrade_and_check(env: dict) -> None:
    upgrade = _flask(env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask(env, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    downgrade = _flask(env, "db", "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr


def test_migrations_on_empty_sqlite(tmp_path):
    _upgrade_and_check({"LANET_INSTANCE": str(tmp_path), "DATABASE_URL": ""})


@pytest.mark.services
def test_migrations_on_empty_postgresql(tmp_path):
    import psycopg

    name = f"lanet_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = services.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        _upgrade_and_check({"LANET_INSTANCE": str(tmp_path), "DATABASE_URL": url})
    finally:
        with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
