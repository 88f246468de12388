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


def _upgrade_and_check(env: dict, url: str) -> None:
    upgrade = _flask(env, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask(env, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    _triggers_are_the_app_s(url)
    downgrade = _flask(env, "db", "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr


def _triggers_are_the_app_s(url: str) -> None:
    """`db check` compares tables and columns only: the database's triggers (and on PostgreSQL
    their functions) after the migrations must be those the app installs on create_all
    (lanet/registration/count_triggers.py); a change there needs a migration of its own."""
    from sqlalchemy import create_engine, text

    from lanet.registration import count_triggers

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    postgres = engine.dialect.name == "postgresql"
    read = (
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
        "UNION ALL SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1"
        if postgres
        else "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    )
    try:
        with engine.begin() as connection:
            migrated = connection.execute(text(read)).all()
            count_triggers.install(connection)
            installed = connection.execute(text(read)).all()
    finally:
        engine.dispose()
    assert migrated, "the migrations installed no trigger"
    assert migrated == installed


def test_migrations_on_empty_sqlite(tmp_path):
    _upgrade_and_check(
        {"LANET_INSTANCE": str(tmp_path), "DATABASE_URL": ""},
        f"sqlite:///{tmp_path / 'lanet.sqlite3'}",
    )


@pytest.mark.services
def test_migrations_on_empty_postgresql(tmp_path):
    import psycopg

    name = f"lanet_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = services.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        _upgrade_and_check({"LANET_INSTANCE": str(tmp_path), "DATABASE_URL": url}, url)
    finally:
        with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
