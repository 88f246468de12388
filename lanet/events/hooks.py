"""What events gives the features below it: the events themselves, by id (accounts names an
organizer's event and filters the audit log by event)."""

from __future__ import annotations

from sqlalchemy import select

from lanet.core import signals
from lanet.events.models import Event
from lanet.extensions import db


@signals.events_wanted.connect
def _events_by_id(event_ids: list[int] | None, **_: object) -> dict[int, Event]:
    # By title, as the database collates it: the order the audit log's filter lists them in.
    query = select(Event).order_by(Event.title, Event.id)
    if event_ids is not None:
        query = query.where(Event.id.in_(event_ids))
    return {event.id: event for event in db.session.scalars(query)}
