"""The beat schedule. Features add their periodic tasks here."""

from __future__ import annotations

SCHEDULE: dict[str, dict] = {
    "worker-heartbeat": {"task": "lanet.worker_heartbeat", "schedule": 60.0},
}
