"""What attendance gives other features: who completed each cycle (the series page)."""

from __future__ import annotations

from lanet.core import signals


@signals.cycle_completions.connect
def _cycle_completers(cycle_ids: list[int], **_: object) -> dict[int, list[str]]:
    from lanet.attendance.completion import completers

    return completers(cycle_ids)
