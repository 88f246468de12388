"""Bulletin tasks: drafting (queue "reports") and writing a send's outbox messages ("mail").

Beat runs the relay every minute: a draft or a send that a broker outage or a dead worker
left unfinished is dispatched again (both tasks are safe to run twice).
"""

from __future__ import annotations

from celery import shared_task

from lanet.attendance import totals
from lanet.bulletin import service
from lanet.bulletin.tasks import COMPILE_TASK, EXPAND_TASK, RELAY_TASK
from lanet.core.dispatch import send_task

SCHEDULE = {
    "bulletin-relay": {
        "task": RELAY_TASK,
        "schedule": 60.0,
        "options": {"queue": "mail", "expires": 60},
    },
}


@shared_task(name=COMPILE_TASK, ignore_result=True)
def compile_draft(bulletin_id: int) -> bool:
    """The attendance totals first, so the draft counts what is recorded now."""
    totals.compile_if_stale(None)
    return service.compile_draft(bulletin_id)


@shared_task(name=EXPAND_TASK, ignore_result=True)
def expand_send(send_id: int) -> bool:
    """One batch of recipients per task; the next batch is its own task, so a send to
    thousands never holds one worker for long and survives a worker's death."""
    done = service.expand(send_id)
    if not done:
        send_task(EXPAND_TASK, send_id, queue="mail")
    return done


@shared_task(name=RELAY_TASK, ignore_result=True)
def relay() -> int:
    return service.relay()
