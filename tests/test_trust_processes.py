"""Issue 14, item 10: the documented processes do all the work.

The README's commands, started as the README writes them (`gunicorn wsgi:app`,
`celery -A workers worker`, `celery -A workers beat`; the environment says where PostgreSQL,
Redis and the SMTP server are), deliver a registration's confirmation email. Per-queue
workers (`-Q mail`, as docs/production.md and docker-compose run them) keep working.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

import pytest
import requests

from tests.fixtures.mail import sink_env
from tests.processes import BIN, Process, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def test_every_routed_queue_is_declared(app):
    conf = app.extensions["celery"].conf
    declared = {queue.name for queue in conf.task_queues}
    routed = {route["queue"] for route in conf.task_routes.values()}
    assert routed | {conf.task_default_queue} <= declared
    assert {"celery", "mail", "calendars", "reports"} <= declared


def _readme_commands() -> dict[str, list[str]]:
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| (web|worker|beat[^|]*?) \| `([^`]+)` \|", readme, re.MULTILINE))
    return {name.split()[0]: shlex.split(command) for name, command in rows.items()}


@pytest.mark.services
@pytest.mark.slow
def test_the_readmes_commands_deliver_a_registrations_email(
    db, service_env, smtp_sink, make_event, applicant, tmp_path, on_postgres
):
    if not on_postgres:
        pytest.skip("real processes share the test's PostgreSQL and Redis")
    commands = _readme_commands()
    assert commands["web"] == ["gunicorn", "wsgi:app"]
    assert commands["worker"] == ["celery", "-A", "workers", "worker"]
    assert commands["beat"] == ["celery", "-A", "workers", "beat"]
    event = make_event()
    port = free_port()
    # gunicorn binds to $PORT when no --bind is given; nothing else is added to the commands.
    env = sink_env(service_env, smtp_sink, PORT=str(port), WTF_CSRF_ENABLED="0")
    processes = []
    try:
        for name in ("web", "worker", "beat"):
            command = commands[name]
            # (beat's schedule file goes into LANET_INSTANCE, the test run's own folder)
            log = tmp_path / f"{name}.log"
            processes.append(Process([str(BIN / command[0]), *command[1:]], env, log))
        wait_for_port(port, timeout=60)
        values = applicant(email="documented@example.org")
        response = requests.post(
            f"http://127.0.0.1:{port}/events/{event.slug}/register",
            data=values,
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code in (200, 302, 303), response.text[:500]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if any("documented@example.org" in str(m["To"]).lower() for m in smtp_sink.messages):
                break
            time.sleep(0.5)
        else:
            logs = "\n".join(p.output()[-3000:] for p in processes)
            raise AssertionError(f"no email reached the SMTP server:\n{logs}")
    finally:
        for process in processes:
            process.stop()
