"""Route guards: every protected page declares the action it needs; accounts answers.

Here in core so that any feature, however low (the outbox's staff page), can guard a page;
the permission layer itself (`lanet.accounts.permissions.can`) is installed by accounts
when the app is built (`lanet.accounts.login.init_app`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from lanet.extensions import login_manager

# can(user, action, obj) -> bool, installed by accounts.
_can: Callable[[Any, str, Any], bool] | None = None

# endpoint function -> action, read by the access-matrix test to find every protected page.
PROTECTED: dict[str, str] = {}


def use_permission_check(can: Callable[[Any, str, Any], bool]) -> None:
    """Installs the permission layer every guard asks (accounts does, at app start)."""
    global _can
    _can = can


def permission_required(
    action: str, obj_from: Callable[..., Any] | None = None
) -> Callable[[Callable], Callable]:
    """Anonymous visitors go to the login page; signed-in users without the right get 403.

    `obj_from(**view_args)` returns the object the action applies to (an event, a country code);
    when it returns None the page does not exist (404).
    """

    def decorator(view: Callable) -> Callable:
        PROTECTED[f"{view.__module__}.{view.__name__}"] = action

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            obj = None
            if obj_from is not None:
                obj = obj_from(**kwargs)
                if obj is None:
                    abort(404)
            if _can is None or not _can(current_user, action, obj):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
