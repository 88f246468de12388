"""Flask-Login wiring, session cookie hardening and the shared rate-limit settings."""

from __future__ import annotations

import hmac
import os

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from lanet.accounts.models import User
from lanet.extensions import db, login_manager

# Flask-Limiter strings; each may be overridden by the environment variable of the same name.
# The registration feature applies its own with `lanet.accounts.limits.registration_limit`;
# the API reads API_RATE_LIMIT (lanet/api/core.py), given here so the environment can set it.
RATE_LIMITS = {
    "RATELIMIT_LOGIN": "10 per minute; 60 per hour",
    "RATELIMIT_LOGIN_PER_EMAIL": "20 per hour",
    "RATELIMIT_PASSWORD_RESET": "5 per minute; 20 per hour",
    "RATELIMIT_REGISTRATION": "10 per minute; 100 per hour",
    "API_RATE_LIMIT": "300/minute",
}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session names the user and the password it was signed in with (User.get_id)."""
    user_id, _, stamp = session_id.partition(".")
    if not user_id.isascii() or not user_id.isdigit() or len(user_id) > 10:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    return user if hmac.compare_digest(stamp, user.session_stamp) else None


def _configure(app: Flask) -> None:
    for name, default in RATE_LIMITS.items():
        app.config.setdefault(name, os.environ.get(name, default))
    app.config.setdefault(
        "PASSWORD_RESET_TTL_MINUTES", int(os.environ.get("PASSWORD_RESET_TTL_MINUTES", 30))
    )
    app.config.setdefault(
        "ACCOUNT_INVITATION_TTL_HOURS", int(os.environ.get("ACCOUNT_INVITATION_TTL_HOURS", 72))
    )
    # Every reset request answers after at least this long (bench/login_timing.py).
    app.config.setdefault(
        "PASSWORD_RESET_MIN_SECONDS", float(os.environ.get("PASSWORD_RESET_MIN_SECONDS", 0.4))
    )
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
    # Templates ask the same permission layer as the views: `{% if can(current_user, "x") %}`.
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["role_links"] = role_links
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"
    app.before_request(_forget_previous_user)


def _forget_previous_user() -> None:
    """Flask-Login caches the user on `g`; where an app context outlives one request (tests,
    scripts), the next request must load its own user from its own session."""
    g.pop("_login_user", None)
