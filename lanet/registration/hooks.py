"""Registrants' calendars follow their event: moved, cancelled, or a new agenda published."""

from __future__ import annotations

from typing import Any

from lanet.core import signals
from lanet.events.models import Event
from lanet.registration import updates


@signals.event_rescheduled.connect
def _event_moved(event: Event, **_changes: Any) -> None:
    updates.notify_registrants(
        event,
        "agenda_update",
        {
            "moved": True,
            "start_date": event.start_date.isoformat(),
            "end_date": event.end_date.isoformat(),
            "changes": [],
        },
    )


@signals.event_cancelled.connect
def _event_cancelled(event: Event, **changes: Any) -> None:
    updates.notify_registrants(
        event, "event_cancelled", {"reason": changes.get("reason")}, method="CANCEL"
    )


@signals.agenda_published.connect
def _agenda_published(event: Event, **changes: Any) -> None:
    version = changes["version"]
    updates.notify_registrants(
        event, "agenda_update", {"version": version.version, "changes": version.changes}
    )
