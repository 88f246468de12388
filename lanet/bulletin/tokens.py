"""Signed links that need no account: unsubscribe, and confirm a subscription.

A token names a contact and a hash of the address it was sent to, so a link keeps working
only for the address it reached (an email address is not an identity: rule 9).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

UNSUBSCRIBE = "lanet.bulletin.unsubscribe"
CONFIRM = "lanet.bulletin.confirm"
# A test send's link names no contact: it shows what the page looks like and changes nothing.
TEST_CONTACT = 0


class InvalidToken(Exception):
    """`expired` tells an old link from one that was altered or never issued."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class Claim:
    contact_id: int
    address_hash: str


def address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make(purpose: str, contact_id: int, email: str) -> str:
    return str(_serializer(purpose).dumps([contact_id, address_hash(email)]))


def max_age(purpose: str) -> int:
    days = current_app.config[
        "BULLETIN_UNSUBSCRIBE_DAYS" if purpose == UNSUBSCRIBE else "BULLETIN_CONFIRM_DAYS"
    ]
    return int(days) * 86400


def read(purpose: str, token: str) -> Claim:
    try:
        value = _serializer(purpose).loads(token, max_age=max_age(purpose))
    except SignatureExpired as error:
        raise InvalidToken(expired=True) from error
    except BadSignature as error:
        raise InvalidToken(expired=False) from error
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise InvalidToken(expired=False)
    return Claim(contact_id=value[0], address_hash=value[1])
