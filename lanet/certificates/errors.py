"""The one error certificates' services raise: a field (for forms and the API) and a message."""

from __future__ import annotations


class CertificateError(Exception):
    """`status` is what the API answers (404 not found, 409 conflict, 422 bad input)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
