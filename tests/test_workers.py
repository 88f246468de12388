"""A task runs in a real Celery worker over real Redis, inside the app context."""

from __future__ import annotations

import time

import pytest

from lanet.core import health
from tests.processes import start_worker


@pytest.mark.services
def test_task_runs_in_a_real_worker_and_sees_the_database(app, db, service_env, tmp_path):
    assert health.last_worker_heartbeat() is None
    worker = start_worker(service_env, tmp_path / "worker.log", queues="celery", concurrency=1)
    try:
        app.extensions["celery"].send_task("lanet.worker_heartbeat")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and health.last_worker_heartbeat() is None:
            db.session.rollback()
            time.sleep(0.3)
        assert health.last_worker_heartbeat() is not None, worker.output()[-3000:]
    finally:
        worker.stop()
