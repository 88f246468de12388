"""What attendance gives other features: who completed each cycle (the series page) and who
attended an event (registration invites part 1's attendees to part 2)."""

from __future__ import annotations

from lanet.core import signals


@signals.cycle_completions.connect
def _cycle_completers(cycle_ids: list[int], **_: object) -> dict[int, list[str]]:
    from lanet.attendance.completion import completers

    return completers(cycle_ids)


@signals.event_attendees.connect
def _attendees(event_id: int, **_: object) -> list[tuple[str, str]]:
    from lanet.attendance.queries import attendees_with_email

    return attendees_with_email(event_id)
