"""Flask-Login wiring: sessions load the user by id."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lanet.accounts.models import User
from lanet.extensions import db, login_manager


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.is_active else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"
