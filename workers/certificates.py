"""Certificate tasks, on the "reports" queue: producing a run, and beat's sweep that starts
runs for held events and re-sends runs a broker outage left queued."""

from __future__ import annotations

from celery import shared_task

from lanet.certificates import production, service

SCHEDULE = {
    "certificates-sweep": {
        "task": "lanet.certificates.sweep",
        "schedule": 900.0,
        "options": {"queue": "reports", "expires": 900},
    },
}


@shared_task(name=service.PRODUCE_TASK, ignore_result=True)
def produce(run_id: int) -> int:
    """Generates the run's certificates; running it again makes none twice."""
    finished = production.run(run_id)
    return finished.done if finished is not None else 0


@shared_task(name="lanet.certificates.sweep", ignore_result=True)
def sweep() -> int:
    return service.sweep()
