"""Accounts: the personal data they hold, declared for lanet.privacy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lanet.accounts.models import ApiToken, User, UserToken
from lanet.core.personal_data import (
    ERASED_DOMAIN,
    PersonalData,
    declare,
    iso,
)
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.network.models import Person

# --- the account -----------------------------------------------------------------------------


def _user(person: Person) -> User | None:
    return db.session.scalar(select(User).where(User.person_id == person.id))


def export_account(person: Person) -> dict[str, Any] | None:
    user = _user(person)
    if user is None:
        return None
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return {
        "email": user.email,
        "active": user.active,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
        "roles": [
            {"role": r.role, "event_id": r.event_id, "country": r.country_code} for r in user.roles
        ],
        "api_tokens": [
            {
                "name": t.name,
                "created_at": iso(t.created_at),
                "last_used_at": iso(t.last_used_at),
                "revoked_at": iso(t.revoked_at),
            }
            for t in tokens
        ],
    }


def erase_account(person: Person) -> None:
    user = _user(person)
    if user is None:
        return
    user.email = f"erased-user-{user.id}@{ERASED_DOMAIN}"
    user.password_hash = None
    user.active = False
    user.roles.clear()
    for token in db.session.scalars(select(UserToken).where(UserToken.user_id == user.id)):
        db.session.delete(token)
    for api_token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        # Token names are chosen by their owner ("Marta's laptop"); the hash stays unusable.
        api_token.name = "[erased]"
        if api_token.revoked_at is None:
            api_token.revoked_at = utcnow()


declare(
    PersonalData(
        name="accounts.account",
        columns={
            "users": ["email", "password_hash"],
            "user_tokens": ["token_hash"],
            "api_tokens": ["name", "token_hash"],
        },
        export=export_account,
        erase=erase_account,
        description="the login: email, password, one-time links and API tokens",
    )
)
