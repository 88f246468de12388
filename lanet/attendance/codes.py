"""Check-in codes: what a badge's QR code carries.

A code names the registration and proves it with an HMAC (SECRET_KEY) of its private link's
nonce, so the QR code checks a person in but never opens the private link (the link is an
HMAC of the same nonce under TOKEN_KEY, lanet/core/tokens.py, and cannot be recovered from
the code). A new nonce (an erasure) voids the code; a TOKEN_KEY rotation does not.
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


def _signature(registration_id: int, token_nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"check-in:{registration_id}:{token_nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:12]


def check_in_code(registration: Registration) -> str:
    return f"{PREFIX}-{registration.id}-{_signature(registration.id, registration.token_nonce)}"


def parse(code: str) -> tuple[int, str] | None:
    """(registration id, signature) of a well-formed code, or None."""
    match = _CODE.match(code or "")
    if match is None:
        return None
    return int(match.group(1)), match.group(2).upper()


def verify(registration: Registration, signature: str) -> bool:
    expected = _signature(registration.id, registration.token_nonce)
    return hmac.compare_digest(expected, signature)
