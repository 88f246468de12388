"""The mail's send rate: MAIL_RATE_PER_MINUTE shared by every delivery loop, through the
rate-limit storage (Redis in production), so that adding workers never exceeds the rate the
SMTP provider allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import current_app


class Pacer:
    """MAIL_RATE_PER_MINUTE across every worker sharing the rate-limit storage (Redis)."""

    def __init__(self, per_minute: int, storage_uri: str) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def wait(self, deadline: float, tick: Callable[[], None] = lambda: None) -> float | None:
        """Waits for the next free slot; None once free, or the seconds still to wait when
        the slot comes after `deadline` (a `time.monotonic()` value)."""
        if self.item is None:
            return None
        try:
            while not self.limiter.hit(self.item, "lanet-mail"):
                reset = self.limiter.get_window_stats(self.item, "lanet-mail").reset_time
                pause = max(reset - time.time(), 0.01)
                if time.monotonic() + pause > deadline:
                    return pause
                time.sleep(min(pause, 1.0))
                tick()
        except Exception as error:  # an unreachable limiter must not stop the mail
            current_app.logger.warning("mail rate limiter unavailable: %s", error)
        return None


pacers: dict[tuple[int, str], Pacer] = {}
_lock = threading.Lock()


def pacer() -> Pacer:
    per_minute = int(current_app.config.get("MAIL_RATE_PER_MINUTE") or 0)
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    with _lock:
        # One per process, so that an in-memory window outlives a single task.
        return pacers.setdefault((per_minute, uri), Pacer(per_minute, uri))
