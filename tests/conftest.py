"""Test set-up: a fresh database per run (PostgreSQL or SQLite), an isolated Redis database,
and an app whose tables are emptied after each test."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from lanet import create_app
from lanet.extensions import db as _db
from tests import services

TEST_DB = os.environ.get("LANET_TEST_DB", "sqlite")

# Each feature may keep shared fixtures in tests/fixtures/<feature>.py.
pytest_plugins = sorted(
    f"tests.fixtures.{path.stem}"
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if path.stem != "__init__"
)
ARTIFACTS = Path(__file__).parent / "artifacts"


def pytest_collection_modifyitems(config, items) -> None:
    if TEST_DB != "postgres":
        return
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(pytest.mark.postgres)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "postgres: ran on PostgreSQL")


@pytest.fixture(scope="session")
def on_postgres() -> bool:
    return TEST_DB == "postgres"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    if TEST_DB != "postgres":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lanet.sqlite3'}"
        return
    import psycopg

    name = f"lanet_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = services.PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{admin.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    """A Redis database of its own, so parallel runs don't read each other's queues."""
    if TEST_DB != "postgres" and not os.environ.get("LANET_TEST_REDIS_ALWAYS"):
        return None
    import redis

    # Engineers running suites side by side each name their own database.
    url = os.environ.get("LANET_TEST_REDIS_URL")
    if not url:
        base = services.REDIS_URL.rsplit("/", 1)[0]
        url = f"{base}/{random.SystemRandom().randint(1, 15)}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def service_env(database_url, redis_url, instance_dir) -> dict[str, str]:
    """The environment a real gunicorn or Celery process needs to share this test's data."""
    env = {
        "DATABASE_URL": database_url,
        "LANET_INSTANCE": str(instance_dir),
        "SECRET_KEY": "test-secret-key",
        "MAIL_FOLDER": str(instance_dir / "mail"),
        "RATELIMIT_ENABLED": "0",
        # Each run's servers count requests apart from earlier runs' on the shared Redis.
        "RATELIMIT_KEY_PREFIX": f"lanet-test-{uuid.uuid4().hex[:8]}",
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture(scope="session")
def app(service_env, database_url, redis_url):
    os.environ.update({k: v for k, v in service_env.items() if k == "LANET_INSTANCE"})
    overrides = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_FOLDER": service_env["MAIL_FOLDER"],
        "SERVER_NAME": None,
    }
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    application = create_app(overrides)

    @application.teardown_request
    def _forget_request_user(_exception) -> None:
        # The `db` fixture keeps one app context per test, which requests would otherwise share.
        from flask import g

        g.pop("_login_user", None)

    if redis_url:
        celery_app = application.extensions["celery"]
        celery_app.conf.broker_url = redis_url
        application.config["REDIS_URL"] = redis_url
    with application.app_context():
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        # DELETE and a reset of every sequence, not TRUNCATE … RESTART IDENTITY: TRUNCATE
        # makes new files for ~40 tables, ~0.1 s (0.3 s on CI) after every one of ~1,000
        # tests; these few rows go in under a millisecond. The replica role skips triggers
        # and foreign-key checks for this transaction: the order of the DELETEs does not
        # matter, and registration_counts' triggers do not count the rows going away.
        _db.session.execute(text("SET LOCAL session_replication_role = replica"))
        _db.session.execute(text(";".join(f'DELETE FROM "{table}"' for table in tables)))
        _db.session.execute(
            text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c WHERE c.relkind = 'S'")
        )
    else:
        for table in tables:
            _db.session.execute(text(f'DELETE FROM "{table}"'))
    _db.session.commit()


@pytest.fixture()
def db(app):
    # Tests that build a second app make its Celery app the current one; tasks called by later
    # tests must run in this app again.
    celery_app = app.extensions["celery"]
    celery_app.set_current()
    celery_app.set_default()
    with app.app_context():
        yield _db
        _db.session.rollback()
        _empty_tables()
        _db.session.remove()


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture()
def seeded(db):
    from lanet.seed import seed_demo

    seed_demo()
    return db
