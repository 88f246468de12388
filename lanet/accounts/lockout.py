"""Failed sign-ins, counted per account and client address.

What is counted is failures, not attempts: a correct password never adds to a count. Once an
address has failed LOGIN_FAILURES_PER_ADDRESS times for one account (5 in 15 minutes), that
address may not try that account again until the window moves on — but the owner, signing in
from any other address, gets through with the right password. (The old rule, 20 attempts per
address-less account per hour, let anyone lock anyone out.) Guessing from one address at
many accounts stays bounded by RATELIMIT_LOGIN per address.

Counters live in the rate-limit storage (Redis when REDIS_URL is set, else memory), so every
web process shares them; an unreachable storage never stops someone signing in.
"""

from __future__ import annotations

import hashlib
import threading
import time

from flask import current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_limiters: dict[str, MovingWindowRateLimiter] = {}
_lock = threading.Lock()


def _limiter() -> MovingWindowRateLimiter:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    with _lock:
        if uri not in _limiters:
            _limiters[uri] = MovingWindowRateLimiter(storage_from_string(uri))
        return _limiters[uri]


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _key(email: str) -> tuple[str, str]:
    # The address is hashed: the storage holds no email addresses.
    account = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "lanet")
    return f"{prefix}:login-failures:{account}", request.remote_addr or "-"


def _item():
    return parse(current_app.config["LOGIN_FAILURES_PER_ADDRESS"])


def blocked(email: str) -> int | None:
    """Seconds to wait when this client address has used up its failures for `email`."""
    if not _enabled():
        return None
    try:
        limiter = _limiter()
        if limiter.test(_item(), *_key(email)):
            return None
        reset = limiter.get_window_stats(_item(), *_key(email)).reset_time
    except Exception as error:  # the storage is down: signing in goes on without the count
        current_app.logger.warning("login failure counter unavailable: %s", error)
        return None
    return max(int(reset - time.time()) + 1, 1)


def record_failure(email: str) -> None:
    if not _enabled():
        return
    try:
        _limiter().hit(_item(), *_key(email))
    except Exception as error:
        current_app.logger.warning("login failure counter unavailable: %s", error)


def forget_failures(email: str) -> None:
    """A successful sign-in from this address wipes its failures for the account."""
    if not _enabled():
        return
    try:
        _limiter().clear(_item(), *_key(email))
    except Exception as error:
        current_app.logger.warning("login failure counter unavailable: %s", error)
