"""API upkeep: forget Idempotency-Keys once their retention period is over."""

from __future__ import annotations

from celery import shared_task

SCHEDULE = {
    "api-purge-idempotency-keys": {
        "task": "lanet.api.purge_idempotency_keys",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}


@shared_task(name="lanet.api.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    from lanet.api.idempotency import purge_expired

    return purge_expired()
