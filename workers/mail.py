"""Mail tasks, on the "mail" queue: delivery, and the relay that beat runs.

Exactly one `celery -A workers beat` must run: it queues `lanet.mail.relay` every
MAIL_RELAY_SECONDS (30 by default). Two beats would only queue twice as many relay runs
(a claimed message is not claimed again while its lease is renewed), none would stop mail
being relayed.
"""

from __future__ import annotations

from celery import shared_task

from lanet import config
from lanet.mail import service

RELAY_SECONDS = config.beat_intervals()["MAIL_RELAY_SECONDS"]

SCHEDULE = {
    "mail-relay": {
        "task": "lanet.mail.relay",
        "schedule": RELAY_SECONDS,
        "options": {"queue": "mail", "expires": RELAY_SECONDS},
    },
}


@shared_task(name=service.DELIVER_TASK, ignore_result=True)
def deliver_pending() -> dict:
    """Delivers due outbox messages until none is left or the time budget ends."""
    report = service.deliver_due()
    # Hands over rather than hogging the worker; the next task continues where this ended.
    if (report.sent or report.failed or report.retrying) and service.due_count():
        service.request_delivery()
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "lost_claim": report.lost_claim,
    }


@shared_task(name="lanet.mail.relay", ignore_result=True)
def relay() -> int:
    """Queues delivery for messages still due: broker outages delay mail, never lose it."""
    return service.relay()
