"""The stored calendar files follow every change to an event or its published agenda."""

from __future__ import annotations

from typing import Any

from lanet.calendars import service
from lanet.core import signals
from lanet.events.models import Event


@signals.event_rescheduled.connect
@signals.event_cancelled.connect
@signals.agenda_published.connect
def _rebuild(event: Event, **_changes: Any) -> None:
    service.rebuild_after_commit(event.id)
