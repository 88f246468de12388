"""Celery tasks: thin wrappers that call lanet services by id.

Each feature keeps its tasks in `workers/<feature>.py`; importing this module registers them all.
"""

from __future__ import annotations

import importlib
import pkgutil

from celery import shared_task

import workers
from lanet.core import health

_NOT_TASK_MODULES = {"celery_app", "healthcheck", "schedule", "tasks"}


@shared_task(name="lanet.worker_heartbeat")
def worker_heartbeat() -> str:
    """Writes the worker's heartbeat into the database, where /healthz reads it."""
    return health.record_worker_heartbeat().isoformat()


def _import_feature_tasks() -> None:
    for module in pkgutil.iter_modules(workers.__path__):
        if module.name not in _NOT_TASK_MODULES:
            importlib.import_module(f"workers.{module.name}")


_import_feature_tasks()
