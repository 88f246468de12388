"""Who is calling: a bearer token, or nobody. API calls never ride on a browser session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_login import AnonymousUserMixin

from lanet.accounts.models import ApiToken, User
from lanet.accounts.permissions import Action, can
from lanet.api import tokens
from lanet.api.problems import ApiProblem
from lanet.api.schemas import unstorable

_MAX_ID = 2**31 - 1
# Declared on every protected operation in the OpenAPI document.
BEARER = [{"bearerAuth": []}]
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token issued by the Technical Secretariat (`flask users issue-token`).",
}


def authenticate_request() -> None:
    """Runs before every API view: sets g.api_user / g.api_token, or refuses a bad token."""
    g.api_user = None
    g.api_token = None
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and unstorable(value):
            # No event, token or registration can have such a name.
            raise ApiProblem(404, "Nothing has this name.")
        if isinstance(value, int) and not 0 <= value <= _MAX_ID:
            # Werkzeug's int converter takes any size; PostgreSQL's integer does not.
            raise ApiProblem(404, "Nothing has this number.")
    presented = tokens.parse_authorization(request.headers.get("Authorization"))
    if presented is not None:
        found = tokens.authenticate(presented)
        if found is None:
            raise ApiProblem(
                401,
                "The bearer token is not valid, or has been revoked.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        g.api_user, g.api_token = found
    # Flask-Login's current_user reads g._login_user: the audit log and services then see the
    # token's user, and a session cookie sent along is ignored (the API is exempt from CSRF).
    g._login_user = g.api_user or AnonymousUserMixin()


def current_api_user() -> User | None:
    return g.get("api_user")


def current_api_token() -> ApiToken | None:
    return g.get("api_token")


def require_user() -> User:
    user = current_api_user()
    if user is None:
        raise ApiProblem(
            401,
            "This operation needs a bearer token.",
            headers={"WWW-Authenticate": 'Bearer realm="lanet"'},
        )
    return user


def require(action: Action, obj: Any = None) -> User:
    """The caller, when the permission layer lets them take `action` on `obj`; else 401/403."""
    user = require_user()
    if not can(user, action, obj):
        raise ApiProblem(403, "Your token does not allow this operation.")
    return user


def allowed(action: Action, obj: Any = None) -> bool:
    user = current_api_user()
    return user is not None and can(user, action, obj)


def permission(action: Action) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like lookups.event_permission, for actions that apply to no event (staff operations)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
