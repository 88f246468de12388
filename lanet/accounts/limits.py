"""Rate-limit strings read from the app config at request time, for `@limiter.limit(...)`.

from lanet.accounts.limits import registration_limit
from lanet.extensions import limiter

@bp.post("/events/<slug>/register")
@limiter.limit(registration_limit, methods=["POST"])
def register(slug): ...
"""

from __future__ import annotations

from flask import current_app


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def password_reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


def registration_limit() -> str:
    return current_app.config["RATELIMIT_REGISTRATION"]
