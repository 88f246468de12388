"""Bearer tokens for the JSON API: staff issue and revoke them; only their SHA-256 is stored.

A token is shown once, when issued. A request presents it as `Authorization: Bearer <token>`;
it is found by the hash of what was presented and compared again in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select

from lanet.accounts.models import ApiToken, User
from lanet.core import audit
from lanet.core.types import utcnow
from lanet.extensions import db

# Tokens carry this prefix so that a leaked one is recognisable in logs and secret scanners.
TOKEN_PREFIX = "lanet_"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
_LAST_USED_RESOLUTION_SECONDS = 60


class TokenError(Exception):
    """A token cannot be issued or revoked as asked."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    user_id: int,
    name: str,
    expires_at: datetime | None = None,
    *,
    issued_by: int | None = None,
) -> tuple[ApiToken, str]:
    """Creates a token for an active user; returns the row and the plain token (shown once).
    A token with `expires_at` stops working at that instant."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise TokenError("no active user with this id")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise TokenError("a token needs a name of 1 to 120 characters")
    if expires_at is not None and expires_at <= utcnow():
        raise TokenError("a token must expire in the future")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(plain), expires_at=expires_at
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.issue",
        "api_token",
        token.id,
        changes={
            "name": name,
            "user_id": user.id,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        user_id=issued_by,
    )
    db.session.commit()
    return token, plain


def revoke_token(token_id: int) -> ApiToken:
    """Revokes a token; revoking an already revoked token changes nothing."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise TokenError("no token with this id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoke", "api_token", token.id, changes={"name": token.name})
        db.session.commit()
    return token


def parse_authorization(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; '' when the header is malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return ""
    return value


def authenticate(presented: str) -> tuple[User, ApiToken] | None:
    """The active user and live token behind a presented token, or None."""
    if not presented or len(presented) > 200:
        return None
    digest = hash_token(presented)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash; comparing again in constant time keeps timing from saying more.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = utcnow()
    if token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > _LAST_USED_RESOLUTION_SECONDS:
        token.last_used_at = now
        db.session.commit()
    return token.user, token
