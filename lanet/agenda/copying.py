"""An agenda's skeleton carried into a copied event: the draft's items (kind, title,
description, room) at the same local times of day, moved by whole days. Speakers are not
copied: each edition invites its own."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from lanet.agenda.models import AgendaItem
from lanet.agenda.queries import draft_items
from lanet.events.models import Event
from lanet.extensions import db


def copy_skeleton(source_id: int, target_id: int, day_shift: int) -> int:
    """Adds the copies to the session (the caller commits); returns how many."""
    source, target = db.session.get(Event, source_id), db.session.get(Event, target_id)
    if source is None or target is None:
        return 0
    source_zone, target_zone = ZoneInfo(source.timezone), ZoneInfo(target.timezone)
    copied = 0
    for item in draft_items(source_id):
        times = []
        for moment in (item.starts_at, item.ends_at):
            local = moment.astimezone(source_zone).replace(tzinfo=None) + timedelta(days=day_shift)
            times.append(local.replace(tzinfo=target_zone).astimezone(UTC))
        db.session.add(
            AgendaItem(
                event_id=target_id,
                kind=item.kind,
                starts_at=times[0],
                ends_at=times[1],
                title=item.title,
                description=item.description,
                room=item.room,
            )
        )
        copied += 1
    db.session.flush()
    return copied
