"""Finding the event an API call is about, with `lanet.events.access.event_for` (the rule the
pages use too): public events for everyone, hidden ones for those who may manage them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g

from lanet.accounts.permissions import Action
from lanet.api.problems import ApiProblem, handle_http_exception
from lanet.events.access import (
    EventAccessError,
    EventForbidden,
    SignInRequired,
    event_for,
)

SLUG_PARAMETER = {
    "in": "path",
    "name": "slug",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    "description": "The event's slug, as in its page address",
}


def event_permission(action: Action) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Checks the token and `action` on the event named by `slug` before the body is read, so
    a caller without the right learns nothing about what a valid body would be (401/403/404).
    The same `event_for` as the pages'."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            g.api_event = event_for(kwargs["slug"], action)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def event_access_problem(error: EventAccessError) -> Response:
    """`event_for`'s refusals as problem details, raised anywhere in an API view."""
    if isinstance(error, SignInRequired):
        problem = ApiProblem(
            401,
            "This operation needs a bearer token.",
            headers={"WWW-Authenticate": 'Bearer realm="lanet"'},
        )
    elif isinstance(error, EventForbidden):
        problem = ApiProblem(403, "Your token does not allow this operation.")
    else:
        problem = ApiProblem(404, "There is no event with this slug.")
    return handle_http_exception(problem)


def current_event():
    return g.api_event
