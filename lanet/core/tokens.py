"""Keyed link tokens: a private link's secret that the database alone cannot give back.

A private link (a registration's `/r/<token>`, an invitation's `/invitations/<token>`) must be
rebuilt for every later email (reminders, waiting-list offers, moves, certificates), so a
plain one-way hash of a random token is not enough. Instead each row keeps a random nonce,
and its token is

    token = urlsafe-base64(HMAC-SHA256(TOKEN_KEY, purpose + ":" + nonce))

The row also keeps `sha256(token)` (hex, unique): a presented token is looked up by that
hash, then compared in constant time with the token rebuilt from the key. Someone who reads
(or even writes) the database without TOKEN_KEY gets no working link. `previous_token_hash`
keeps the hash of the link a row had before its last re-key (the 0011 migration, a key
rotation with `flask --app wsgi tokens rehash`), so links already emailed keep working.

TOKEN_KEY comes from the configuration (lanet/config.py); unset, it is derived from
SECRET_KEY, so changing SECRET_KEY changes every link unless TOKEN_KEY is set on its own.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from flask import current_app

REGISTRATION = "registration"
INVITATION = "invitation"
# Longer presented values are refused before any hashing or lookup (a token is 43 characters).
MAX_LENGTH = 128


def key() -> bytes:
    """The key of every link token: TOKEN_KEY, or one derived from SECRET_KEY."""
    configured = current_app.config.get("TOKEN_KEY") or ""
    if configured:
        return configured.encode()
    return _derived(str(current_app.config["SECRET_KEY"]))


@functools.lru_cache(maxsize=4)
def _derived(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"lanet.core.tokens", hashlib.sha256).digest()


def new_nonce() -> str:
    """A row's random nonce (128 bits, 22 characters)."""
    return secrets.token_urlsafe(16)


def token_for(purpose: str, nonce: str) -> str:
    """The link token of the row with this nonce, under the current key."""
    digest = hmac.new(key(), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def presented_digest(token: str | None) -> str | None:
    """The digest to look a presented token up by; None for a value that cannot be a token."""
    if not token or len(token) > MAX_LENGTH:
        return None
    return digest(token)


def matches(purpose: str, nonce: str, presented: str) -> bool:
    """Whether `presented` is the token this key builds from the nonce (constant time)."""
    expected = token_for(purpose, nonce).encode()
    return hmac.compare_digest(expected, presented.encode("utf-8", "surrogatepass"))


__all__ = [
    "INVITATION",
    "MAX_LENGTH",
    "REGISTRATION",
    "digest",
    "key",
    "matches",
    "new_nonce",
    "presented_digest",
    "token_for",
]
