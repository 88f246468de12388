"""What the agenda does when other features announce changes (see lanet/core/signals.py)."""

from __future__ import annotations

from typing import Any

from lanet.agenda import service
from lanet.core import signals
from lanet.events.models import Event


@signals.event_rescheduled.connect
def _follow_the_event(event: Event, **changes: Any) -> None:
    """The draft moves by the same number of days, keeping its wall-clock times in the zone it
    was planned in; a published agenda is published again with the new times."""
    service.shift_draft(event, changes["days"], timezone=changes.get("previous_timezone"))
    if event.agenda_version:
        service.snapshot_version(event, user_id=changes.get("user_id"))


@signals.event_copied.connect
def _copy_agenda_skeleton(event_id: int, *, source_id: int, day_shift: int, **_: object) -> None:
    """A copied event starts with the earlier event's draft skeleton, moved to its dates."""
    from lanet.agenda.copying import copy_skeleton

    copy_skeleton(source_id, event_id, day_shift)
