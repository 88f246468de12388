"""Check-in codes: what a badge's QR code carries.

A code names the registration and proves it with an HMAC of its manage token, so the QR
code checks a person in but never opens the private link (the token cannot be recovered).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from flask import current_app

from lanet.registration.models import Registration

PREFIX = "LANET"
_CODE = re.compile(r"^\s*LANET-(\d{1,12})-([A-Z2-7]{12})\s*$", re.IGNORECASE)


def _signature(registration_id: int, manage_token: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"check-in:{registration_id}:{manage_token}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:12]


def check_in_code(registration: Registration) -> str:
    return f"{PREFIX}-{registration.id}-{_signature(registration.id, registration.manage_token)}"


def parse(code: str) -> tuple[int, str] | None:
    """(registration id, signature) of a well-formed code, or None."""
    match = _CODE.match(code or "")
    if match is None:
        return None
    return int(match.group(1)), match.group(2).upper()


def verify(registration: Registration, signature: str) -> bool:
    expected = _signature(registration.id, registration.manage_token)
    return hmac.compare_digest(expected, signature)
