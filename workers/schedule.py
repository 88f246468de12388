"""The beat schedule: the heartbeat here, and each `workers/<feature>.py`'s own SCHEDULE."""

from __future__ import annotations

import importlib
import pkgutil

_BASE: dict[str, dict] = {
    "worker-heartbeat": {"task": "lanet.worker_heartbeat", "schedule": 60.0},
}


def collect() -> dict[str, dict]:
    import workers

    schedule = dict(_BASE)
    for module in pkgutil.iter_modules(workers.__path__):
        if module.name in {"celery_app", "healthcheck", "schedule", "tasks"}:
            continue
        feature = importlib.import_module(f"workers.{module.name}")
        schedule.update(getattr(feature, "SCHEDULE", {}))
    return schedule
