"""Finding the event an API call is about: public events for everyone, hidden ones for those
who may manage them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g
from sqlalchemy import select

from lanet.accounts.permissions import Action
from lanet.api.auth import allowed, require, require_user
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


def event_permission(action: Action) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Checks the token and `action` on the event named by `slug` before the body is read, so
    a caller without the right learns nothing about what a valid body would be (401/403/404)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_user()
            g.api_event = event_or_404(kwargs["slug"])
            require(action, g.api_event)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_event():
    return g.api_event
