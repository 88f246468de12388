"""Event tasks: registration opens and closes by its window (beat, every minute)."""

from __future__ import annotations

from celery import shared_task

from lanet.config import _int

WINDOW_SWEEP_SECONDS = float(_int("EVENT_WINDOW_SWEEP_SECONDS", 60))

SCHEDULE = {
    "event-registration-windows": {
        "task": "lanet.events.sweep_windows",
        "schedule": WINDOW_SWEEP_SECONDS,
        "options": {"expires": WINDOW_SWEEP_SECONDS},
    },
}


@shared_task(name="lanet.events.sweep_windows")
def sweep_windows() -> dict:
    from lanet.events import lifecycle

    return lifecycle.sweep_windows()
