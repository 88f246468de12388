"""Flask-Login wiring, session cookie hardening and the shared rate-limit settings."""

from __future__ import annotations

import hmac
from collections.abc import Hashable

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload

from lanet.accounts.models import User
from lanet.core import access, layout
from lanet.extensions import db, login_manager

# Every signed-in page asks for the roles (permissions, navigation): they come along. Built
# once with a bound id: Session.get built the statement and its option on every request,
# ~0.2 of its ~0.7 ms of CPU (issue 16).
_USER_WITH_ROLES = (
    select(User)
    .options(joinedload(User.roles))
    .where(User.id == bindparam("user_id", type_=Integer))
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session names the user and the password it was signed in with (User.get_id)."""
    user_id, _, stamp = session_id.partition(".")
    if not user_id.isascii() or not user_id.isdigit() or len(user_id) > 10:
        return None
    found = db.session.execute(_USER_WITH_ROLES, {"user_id": int(user_id)})
    user = found.unique().scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(stamp, user.session_stamp) else None


def _configure(app: Flask) -> None:
    # Behind https every cookie that can sign someone in travels only over https.
    if app.config.get("BASE_URL", "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")


def init_app(app: Flask) -> None:
    from lanet.accounts.labels import role_label, role_links
    from lanet.accounts.permissions import can

    _configure(app)
    # Every page guard (lanet/core/access.py) asks this permission layer.
    access.use_permission_check(can)
    # Templates ask the same permission layer as the views: `{% if can(current_user, "x") %}`.
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["role_links"] = role_links
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"
    app.before_request(_forget_previous_user)
    layout.layout_key(app, _layout_roles)


def _layout_roles() -> Hashable:
    """What the page header's navigation depends on for a signed-in visitor: the links are
    shown by permission (`can`, focal point countries), and permissions follow the roles."""
    user = current_user
    if not user.is_authenticated:
        return None
    return user.is_active, frozenset((r.role, r.event_id, r.country_code) for r in user.roles)


def _forget_previous_user() -> None:
    """Flask-Login caches the user on `g`; where an app context outlives one request (tests,
    scripts), the next request must load its own user from its own session."""
    g.pop("_login_user", None)
