"""Finding the event an API call is about: public events for everyone, hidden ones for those
who may manage them."""

from __future__ import annotations

from sqlalchemy import select

from lanet.accounts.permissions import Action
from lanet.api.auth import allowed
from lanet.api.problems import ApiProblem
from lanet.events import queries
from lanet.events.models import Event
from lanet.extensions import db

SLUG_PARAMETER = {
    "in": "path",
    "name": "slug",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    "description": "The event's slug, as in its page address",
}


def event_or_404(slug: str) -> Event:
    event = queries.event_by_slug(slug) if len(slug) <= 80 else None
    if event is None and len(slug) <= 80:
        hidden = db.session.scalar(select(Event).where(Event.slug == slug))
        if hidden is not None and allowed(Action.manage_event, hidden):
            event = hidden
    if event is None:
        raise ApiProblem(404, "There is no event with this slug.")
    return event
