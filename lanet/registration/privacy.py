"""Registrations and invitations: the personal data they hold, declared for lanet.privacy.

Registrations stay after an erasure (the totals count them); what identifies or reaches the
person goes: the free-text decline reason and the private link.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select

from lanet.core.models import StoredFile
from lanet.core.personal_data import ERASED_DOMAIN, PersonalData, declare, iso
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Invitation, Registration


def registrations_of(person: Person) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.person_id == person.id)
            .order_by(Registration.id)
        )
    )


def export_registrations(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "event": r.event.slug,
            "event_title": r.event.title,
            "role": r.role,
            "status": r.status,
            "seat_country": r.seat_country_code,
            "created_at": iso(r.created_at),
            "confirmed_at": iso(r.confirmed_at),
            "cancelled_at": iso(r.cancelled_at),
            "decline_reason": r.decline_reason,
        }
        for r in registrations_of(person)
    ]


def erase_registrations(person: Person) -> None:
    registrations = registrations_of(person)
    for registration in registrations:
        registration.decline_reason = None
        # The old private link (and any previous one) stops working; the row stays for the
        # totals.
        registration.renew_link()
    # Earlier versions stored each participant's own calendar (with their name and address)
    # under calendar/registration/<id>/; such files may still be there.
    for registration in registrations:
        db.session.execute(
            delete(StoredFile)
            .where(StoredFile.key.like(f"calendar/registration/{registration.id}/%"))
            .execution_options(synchronize_session=False)
        )


declare(
    PersonalData(
        name="registration.registrations",
        columns={
            "registrations": [
                "decline_reason",
                "token_nonce",
                "token_hash",
                "previous_token_hash",
            ],
            "stored_files": ["content"],
        },
        export=export_registrations,
        erase=erase_registrations,
        description="registrations stay for the totals; the decline reason and private link go",
    )
)


def invitations_of(person: Person) -> list[Invitation]:
    conditions = [Invitation.person_id == person.id]
    if person.email:
        conditions.append(Invitation.email == person.email)
    return list(
        db.session.scalars(select(Invitation).where(or_(*conditions)).order_by(Invitation.id))
    )


def export_invitations(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "event": i.event.slug,
            "email": i.email,
            "language": i.language,
            "sent_at": iso(i.sent_at),
            "accepted_at": iso(i.accepted_at),
            "declined_at": iso(i.declined_at),
        }
        for i in invitations_of(person)
    ]


def erase_invitations(person: Person) -> None:
    for invitation in invitations_of(person):
        invitation.email = f"erased-invitation-{invitation.id}@{ERASED_DOMAIN}"
        # The invitation link led to a form filled with the address: it stops working.
        invitation.renew_link()


declare(
    PersonalData(
        name="registration.invitations",
        columns={"invitations": ["email", "token_nonce", "token_hash", "previous_token_hash"]},
        export=export_invitations,
        erase=erase_invitations,
        description="invitations sent to the person's address",
    )
)
