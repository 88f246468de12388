"""Calendar files: rebuilt by the "calendars" queue after events or agendas change."""

from __future__ import annotations

from celery import shared_task

# A sweep catches changes made where no rebuild was requested (or the broker was down).
SCHEDULE = {
    "calendars-sweep": {
        "task": "lanet.calendars.sweep",
        "schedule": 300.0,
        "options": {"queue": "calendars"},
    },
}


@shared_task(name="lanet.calendars.rebuild_event", acks_late=True)
def rebuild_event(event_id: int) -> int:
    from lanet.calendars import service

    return service.rebuild_event(event_id)


@shared_task(name="lanet.calendars.sweep")
def sweep() -> int:
    from lanet.calendars import service

    changed = 0
    for event_id in service.stale_event_ids():
        changed += service.rebuild_event(event_id)
    return changed
