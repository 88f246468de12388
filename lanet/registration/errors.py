"""The registration services' refusals: a request that cannot be honoured changes nothing.

The web shows `message` beside the form field named by `field` (or as a flash); the API turns
each class into its problem JSON (`lanet/api/registrations.py`, `problem_of`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class RegistrationError(Exception):
    """A request that cannot be honoured; `field` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class RegistrationClosed(RegistrationError):
    pass


class AlreadyRegistered(RegistrationError):
    pass


class NotAllowed(RegistrationError):
    pass


class SeatBusy(RegistrationError):
    """The event's seat lock was not free within SEAT_LOCK_TIMEOUT_MS: nothing was written, and
    the same request a moment later will most likely succeed (API 503 with Retry-After)."""

    def __init__(self) -> None:
        super().__init__(
            str(_l("Many people are registering for this event right now. Please try again."))
        )


class ImportRejected(RegistrationError):
    """A file with bad rows: nothing was written. `errors` lists (row number, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(str(_l("The file has errors; nothing was imported.")))
        self.errors = errors
