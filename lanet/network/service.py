"""People's data-protection rights: export everything held about a person, or erase it.

Erasure blanks what identifies the person and keeps what anonymous totals need: the
registrations and attendance rows stay, with the person's country, institution and gender,
so counts per event, country, institution kind and gender do not move.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import or_, select

from lanet.accounts.models import ApiToken, User, UserToken
from lanet.attendance.models import Attendance
from lanet.core import audit
from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail.models import OutboxMessage, OutboxStatus
from lanet.network.models import Person
from lanet.registration.models import Invitation, Registration

ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"
# Keys whose values identify a person wherever they appear in an audit entry's changes.
PERSONAL_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "full_name",
        "email",
        "recipient",
        "recipient_email",
        "recipient_name",
        "position",
        "phone",
        "gender",
        "decline_reason",
        "comment",
        "note",
    }
)


class PersonNotFound(LookupError):
    pass


class AlreadyErased(ValueError):
    pass


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise PersonNotFound(person_id)
    return person


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- export ----------------------------------------------------------------------------------


def export_person(person_id: int) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data; the export itself is audited."""
    person = _person(person_id)
    registrations = db.session.scalars(
        select(Registration).where(Registration.person_id == person.id).order_by(Registration.id)
    ).all()
    data = {
        "person": _person_data(person),
        "registrations": [_registration_data(r) for r in registrations],
        "invitations": [_invitation_data(i) for i in _invitations(person)],
        "account": _account_data(person),
        "emails": [_message_data(m) for m in _messages(person)],
        "audit": [_audit_data(e) for e in _audit_entries(person)],
        "exported_at": utcnow().isoformat(),
    }
    audit.record("person_exported", "person", person.id, person_id=person.id)
    db.session.commit()
    return data


def _person_data(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "country": person.country_code,
        "institution": person.institution.name if person.institution else None,
        "position": person.position,
        "language": person.language,
        "gender": person.gender,
        "consent_data_processing_at": _iso(person.consent_data_processing_at),
        "consent_contact": person.consent_contact,
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
        "erased_at": _iso(person.erased_at),
    }


def _registration_data(registration: Registration) -> dict[str, Any]:
    days = db.session.scalars(
        select(Attendance)
        .where(Attendance.registration_id == registration.id)
        .order_by(Attendance.day)
    ).all()
    return {
        "event": registration.event.slug,
        "event_title": registration.event.title,
        "role": registration.role,
        "status": registration.status,
        "seat_country": registration.seat_country_code,
        "created_at": _iso(registration.created_at),
        "confirmed_at": _iso(registration.confirmed_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "decline_reason": registration.decline_reason,
        "attendance": [
            {"day": a.day.isoformat(), "checked_in_at": _iso(a.checked_in_at), "method": a.method}
            for a in days
        ],
    }


def _invitations(person: Person) -> list[Invitation]:
    conditions = [Invitation.person_id == person.id]
    if person.email:
        conditions.append(Invitation.email == person.email)
    return list(db.session.scalars(select(Invitation).where(or_(*conditions))))


def _invitation_data(invitation: Invitation) -> dict[str, Any]:
    return {
        "event": invitation.event.slug,
        "email": invitation.email,
        "sent_at": _iso(invitation.sent_at),
        "accepted_at": _iso(invitation.accepted_at),
        "declined_at": _iso(invitation.declined_at),
    }


def _account_data(person: Person) -> dict[str, Any] | None:
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    if user is None:
        return None
    return {
        "email": user.email,
        "active": user.active,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "roles": [
            {"role": r.role, "event_id": r.event_id, "country": r.country_code} for r in user.roles
        ],
    }


def _messages(person: Person) -> list[OutboxMessage]:
    if not person.email:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient_email == person.email)
            .order_by(OutboxMessage.id)
        )
    )


def _message_data(message: OutboxMessage) -> dict[str, Any]:
    return {
        "template": message.template,
        "status": message.status,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
    }


def _audit_entries(person: Person) -> list[AuditEntry]:
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


def _audit_data(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": _iso(entry.at),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
    }


# --- erasure ---------------------------------------------------------------------------------


def erase_person(person_id: int) -> Person:
    """Blanks the person's identifying data everywhere it is held, in one transaction."""
    person = _person(person_id)
    if person.erased_at is not None:
        raise AlreadyErased(person_id)
    identifiers = _identifying_strings(person)
    entries = _audit_entries(person)
    _erase_account(person)
    _erase_messages(person)
    _erase_invitations(person)
    _erase_registrations(person)
    for entry in entries:
        entry.changes = _blank(entry.changes or {}, identifiers)
    person.first_name = ""
    person.last_name = ""
    person.email = None
    person.position = None
    person.consent_contact = False
    person.consent_data_processing_at = None
    person.erased_at = utcnow()
    # The erasure's own entry names no one: the id is all the log keeps.
    audit.record("person_erased", "person", person.id, person_id=person.id)
    db.session.commit()
    return person


def _identifying_strings(person: Person) -> list[str]:
    values = [person.email, person.full_name, person.first_name, person.last_name]
    # Names of two letters or fewer would blank unrelated text; the keys catch those anyway.
    return sorted({v.lower() for v in values if v and len(v) > 2}, key=len, reverse=True)


def _blank(value: Any, identifiers: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: (_erased_value(item) if key in PERSONAL_KEYS else _blank(item, identifiers))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_blank(item, identifiers) for item in value]
    if isinstance(value, str) and any(i in value.lower() for i in identifiers):
        return ERASED
    return value


def _erased_value(value: Any) -> Any:
    # Keep the shape ([old, new] pairs stay pairs) so the log page still renders.
    if isinstance(value, list):
        return [_erased_value(item) for item in value]
    return None if value is None else ERASED


def _erase_account(person: Person) -> None:
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    if user is None:
        return
    user.email = f"erased-user-{user.id}@{ERASED_DOMAIN}"
    user.password_hash = None
    user.active = False
    user.roles.clear()
    for token in db.session.scalars(select(UserToken).where(UserToken.user_id == user.id)):
        db.session.delete(token)
    for api_token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        api_token.revoked_at = utcnow()


def _erase_messages(person: Person) -> None:
    for message in _messages(person):
        if message.status == OutboxStatus.pending:
            # Never deliver to an address that no longer exists in the database.
            message.status = OutboxStatus.failed
            message.last_error = "recipient erased"
        message.recipient_email = f"erased-message-{message.id}@{ERASED_DOMAIN}"
        message.recipient_name = None
        message.context = {}


def _erase_invitations(person: Person) -> None:
    for invitation in _invitations(person):
        invitation.email = f"erased-invitation-{invitation.id}@{ERASED_DOMAIN}"


def _erase_registrations(person: Person) -> None:
    for registration in db.session.scalars(
        select(Registration).where(Registration.person_id == person.id)
    ):
        registration.decline_reason = None
        # The old private link stops working; the row stays for the totals.
        registration.manage_token = secrets.token_urlsafe(32)
