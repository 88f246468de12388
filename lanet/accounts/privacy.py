"""Accounts and the audit log: the personal data they hold, declared for lanet.privacy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from lanet.accounts.models import ApiToken, AuditEntry, User, UserToken
from lanet.core.personal_data import (
    ERASED_DOMAIN,
    PersonalData,
    blank,
    blank_mentions,
    declare,
    identifying_strings,
    iso,
    mentions,
    sql_mentions,
    strong_identifiers,
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


# --- the audit log ---------------------------------------------------------------------------


def _entries(person: Person) -> list[AuditEntry]:
    """Entries about the person (by id), then others that name them (by email or full name)."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    AuditEntry.person_id == person.id,
                    (AuditEntry.object_type == "person") & (AuditEntry.object_id == person.id),
                )
            )
            .order_by(AuditEntry.id)
        )
    )


def _naming_entries(person: Person, exclude: set[int]) -> list[AuditEntry]:
    identifiers = strong_identifiers(person)
    candidates = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                sql_mentions(AuditEntry.changes, identifiers),
                sql_mentions(AuditEntry.actor, identifiers),
            )
        )
        .order_by(AuditEntry.id)
    )
    return [
        e
        for e in candidates
        if e.id not in exclude
        and (mentions(e.changes, identifiers) or mentions(e.actor, identifiers))
    ]


def export_audit(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "at": iso(entry.at),
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "changes": entry.changes,
        }
        for entry in _entries(person)
    ]


def erase_audit(person: Person) -> None:
    identifiers = identifying_strings(person)
    linked = _entries(person)
    for entry in linked:
        entry.changes = blank(entry.changes or {}, identifiers)
    # Someone else's entry may name the person (an invitation sent to their address): only
    # the strings that name them change there.
    strong = strong_identifiers(person)
    for entry in _naming_entries(person, {e.id for e in linked}):
        entry.changes = blank_mentions(entry.changes or {}, strong)
        if mentions(entry.actor, strong):
            entry.actor = "[erased]"


declare(
    PersonalData(
        name="accounts.audit",
        columns={"audit_entries": ["changes", "actor"]},
        export=export_audit,
        erase=erase_audit,
        description="who changed what: personal values in the changes are blanked, the "
        "entries stay",
    )
)
