"""Celery tasks: thin wrappers that call lanet services by id."""

from __future__ import annotations

from celery import shared_task

from lanet.core import health


@shared_task(name="lanet.worker_heartbeat")
def worker_heartbeat() -> str:
    """Writes the worker's heartbeat into the database, where /healthz reads it."""
    return health.record_worker_heartbeat().isoformat()
