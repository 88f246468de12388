"""Accounts: signing in, one-time links, invitations, roles and API tokens.

The only code that changes users; views, the CLI and the API call these functions.
Transactions: every function that changes state commits its own transaction (with its audit
entries and outbox rows), or raises an `AccountError` having changed nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select

from lanet.accounts.models import RoleName, TokenPurpose, User, UserRole, UserToken
from lanet.accounts.passwords import MIN_LENGTH, burn_time, hash_password, needs_rehash
from lanet.accounts.passwords import verify_password as _verify
from lanet.core import audit, signals
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail.service import queue_message
from lanet.network.models import LANGUAGES, Country, Person

# 256 bits from the OS; the issue asks for at least 128.
TOKEN_BYTES = 32


class AccountError(ValueError):
    """A request the accounts service refuses; `field` names the form field at fault.

    The message is a lazy translation: it takes the reader's language when shown.
    """

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidToken(AccountError):
    """A link that is unknown, used, expired or meant for something else."""


@dataclass(frozen=True)
class RoleSpec:
    role: str
    event_id: int | None = None
    country_code: str | None = None


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """Lower-cased and syntax-checked (no DNS lookup: venues may be offline)."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(_("Enter a valid email address."), field="email") from error


def user_by_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email or "\x00" in email or len(email) > 254:
        return None  # no account has such an address; the database need not be asked
    return db.session.scalar(select(User).where(User.email == email))


# --- signing in ------------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    An unknown email costs one Argon2 verification too, so timing does not tell which
    addresses have accounts.
    """
    user = user_by_email(email or "")
    if user is None or not user.password_hash:
        burn_time(password or "")
        return None
    if not _verify(user.password_hash, password or "") or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record("login", "user", user.id, user_id=user.id, person_id=user.person_id)
    db.session.commit()
    return user


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise AccountError(
            _("Use at least %(count)d characters.", count=MIN_LENGTH), field="password"
        )


# --- one-time links --------------------------------------------------------------------------


def _issue_user_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_digest(raw),
            expires_at=utcnow() + lifetime,
        )
    )
    return raw


def _lifetime(purpose: TokenPurpose) -> timedelta:
    if purpose == TokenPurpose.account_invitation:
        return timedelta(hours=current_app.config["ACCOUNT_INVITATION_TTL_HOURS"])
    return timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])


def _link(raw: str) -> str:
    # Built from BASE_URL, not url_for: workers and the CLI have no request to build from.
    return f"{current_app.config['BASE_URL']}/password/reset/{raw}"


def request_password_reset(email: str) -> None:
    """Queues a reset link when an active account has this email; silent otherwise.

    The caller shows the same answer either way, so the form reveals no accounts.
    """
    user = user_by_email(email or "")
    if user is None or not user.active:
        return
    raw = _issue_user_token(
        user, TokenPurpose.password_reset, _lifetime(TokenPurpose.password_reset)
    )
    queue_message(
        to=user.email,
        name=user.person.full_name,
        template="password_reset",
        language=user.person.language,
        context={
            "name": user.person.full_name,
            "reset_url": _link(raw),
            "minutes": current_app.config["PASSWORD_RESET_TTL_MINUTES"],
        },
    )
    audit.record("password_reset_requested", "user", user.id, person_id=user.person_id)
    db.session.commit()


def _token_row(raw: str) -> UserToken | None:
    digest = token_digest(raw or "")
    row = db.session.scalar(select(UserToken).where(UserToken.token_hash == digest))
    # The lookup already matched the digest; compare again in constant time anyway, so no
    # code path ever compares secrets with ==.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def check_link(raw: str) -> UserToken:
    """The usable token behind a link, or InvalidToken; nothing is consumed."""
    row = _token_row(raw)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise InvalidToken(_("This link is not valid any more."))
    return row


def set_password_with_link(raw: str, password: str) -> User:
    """Sets the password once per link; the link and its siblings stop working."""
    row = check_link(raw)
    check_password_rules(password)
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise InvalidToken(_("This link is not valid any more."))
    now = utcnow()
    # A conditional UPDATE: of two requests racing with the same link, only one wins.
    claimed = db.session.execute(
        UserToken.__table__.update()
        .where(UserToken.id == row.id, UserToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidToken(_("This link is not valid any more."))
    for other in db.session.scalars(
        select(UserToken).where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
    ):
        other.used_at = now
    user.password_hash = hash_password(password)
    audit.record(
        "password_set",
        "user",
        user.id,
        user_id=user.id,
        person_id=user.person_id,
        changes={"via": row.purpose},
    )
    db.session.commit()
    return user


# --- users and roles -------------------------------------------------------------------------


def _check_role(spec: RoleSpec) -> RoleSpec:
    if spec.role not in set(RoleName):
        raise AccountError(_("Choose a role."), field="role")
    if spec.role == RoleName.organizer:
        if not 0 < (spec.event_id or 0) < 2**31 or not signals.collect_events([spec.event_id]):
            raise AccountError(_("Choose the event this organizer manages."), field="event_id")
        return RoleSpec(spec.role, event_id=spec.event_id)
    if spec.role == RoleName.focal_point:
        code = (spec.country_code or "").upper()
        if not code or db.session.get(Country, code) is None:
            raise AccountError(_("Choose the country of this focal point."), field="country_code")
        return RoleSpec(spec.role, country_code=code)
    return RoleSpec(spec.role)


def _role_changes(spec: RoleSpec) -> dict:
    return {"role": spec.role, "event_id": spec.event_id, "country_code": spec.country_code}


def _add_role(user: User, spec: RoleSpec) -> UserRole | None:
    spec = _check_role(spec)
    for role in user.roles:
        if (role.role, role.event_id, role.country_code) == (
            spec.role,
            spec.event_id,
            spec.country_code,
        ):
            return None
    role = UserRole(role=spec.role, event_id=spec.event_id, country_code=spec.country_code)
    user.roles.append(role)
    audit.record(
        "role_granted",
        "user",
        user.id,
        changes=_role_changes(spec),
        event_id=spec.event_id,
        person_id=user.person_id,
    )
    return role


def _person_for(email: str, first_name: str, last_name: str, language: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.email == email))
    if person is not None:
        return person
    if not first_name.strip():
        raise AccountError(_("Enter a first name."), field="first_name")
    if not last_name.strip():
        raise AccountError(_("Enter a last name."), field="last_name")
    person = Person(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        language=language if language in LANGUAGES else "es",
    )
    db.session.add(person)
    return person


def invite_user(
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    roles: list[RoleSpec],
) -> User:
    """Creates the account (no password yet) and emails a link to choose one."""
    email = normalize_email(email)
    if not roles:
        raise AccountError(_("Choose a role."), field="role")
    if user_by_email(email) is not None:
        raise AccountError(_("An account with this email already exists."), field="email")
    checked = [_check_role(spec) for spec in roles]
    person = _person_for(email, first_name, last_name, language)
    user = User(email=email, person=person, password_hash=None)
    db.session.add(user)
    db.session.flush()
    audit.record("user_invited", "user", user.id, person_id=person.id, changes={"email": email})
    for spec in checked:
        _add_role(user, spec)
    raw = _issue_user_token(
        user, TokenPurpose.account_invitation, _lifetime(TokenPurpose.account_invitation)
    )
    queue_message(
        to=email,
        name=person.full_name,
        template="account_invitation",
        language=person.language,
        context={
            "name": person.full_name,
            "set_password_url": _link(raw),
            "hours": current_app.config["ACCOUNT_INVITATION_TTL_HOURS"],
            "roles": [_role_changes(spec) for spec in checked],
        },
    )
    db.session.commit()
    return user


def grant_role(user_id: int, spec: RoleSpec) -> UserRole | None:
    """Adds the role; None when the user already has it."""
    user = _user(user_id)
    role = _add_role(user, spec)
    db.session.commit()
    return role


def revoke_role(role_id: int) -> None:
    role = db.session.get(UserRole, role_id)
    if role is None:
        raise AccountError(_("No such role."))
    user = role.user
    spec = RoleSpec(role.role, role.event_id, role.country_code)
    user.roles.remove(role)
    audit.record(
        "role_revoked",
        "user",
        user.id,
        changes=_role_changes(spec),
        event_id=spec.event_id,
        person_id=user.person_id,
    )
    db.session.commit()


def set_active(user_id: int, active: bool) -> User:
    user = _user(user_id)
    if user.active != active:
        user.active = active
        audit.record(
            "user_activated" if active else "user_deactivated",
            "user",
            user.id,
            person_id=user.person_id,
            changes={"active": active},
        )
        db.session.commit()
    return user


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(_("No such user."))
    return user


def create_staff(email: str, password: str, first_name: str, last_name: str) -> User:
    """The first Secretariat account (CLI); an existing user gains the staff role."""
    email = normalize_email(email)
    check_password_rules(password)
    user = user_by_email(email)
    if user is None:
        person = _person_for(email, first_name or "Staff", last_name or "LANET", "es")
        user = User(email=email, person=person)
        db.session.add(user)
        db.session.flush()
        audit.record("user_created", "user", user.id, person_id=person.id, actor="cli")
    user.password_hash = hash_password(password)
    user.active = True
    _add_role(user, RoleSpec(RoleName.staff))
    db.session.commit()
    return user
