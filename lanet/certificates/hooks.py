"""Certificates follow events: once an event is held, its certificates (and its cycle's,
when it was the last part) are queued for production in the same transaction."""

from __future__ import annotations

from typing import Any

from lanet.certificates import service
from lanet.core import signals
from lanet.events.models import Event


@signals.event_held.connect
def _event_held(event: Event, **changes: Any) -> None:
    for template in service.templates_owed_by(event):
        service.queue_run(template, requested_by_id=changes.get("user_id"))
