"""The event row lock: the one lock under which seats, capacity and quotas change.

Seat-taking (registration) and capacity or quota edits (event management) both take it, so an
edit sees the confirmed seats as they are and no registration confirms a seat in between.

FOR NO KEY UPDATE: rows inserted with a foreign key to the event (registrations, outbox
messages, audit entries) take KEY SHARE locks on it, which a plain FOR UPDATE would wait for.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from lanet.events.models import Event
from lanet.extensions import db


def lock_event(event_id: int) -> Event | None:
    """The event, locked until the transaction ends and read fresh from the database.

    The one test switch (set only by tests/apps.py, never from the environment) reads the
    same row without the lock, to show the race the lock prevents. Same algorithm either way.
    """
    query = (
        select(Event)
        .where(Event.id == event_id)
        .execution_options(populate_existing=True, lanet_event_edit_read=True)
    )
    if not current_app.config.get("EVENT_EDIT_LOCK_DISABLED_FOR_TESTS"):
        query = query.with_for_update(key_share=True)
    return db.session.scalar(query)
