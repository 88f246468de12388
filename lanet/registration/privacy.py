"""Registrations and invitations: the personal data they hold, declared for lanet.privacy.

Registrations stay after an erasure (the totals count them); what identifies or reaches the
person goes: the free-text decline reason and the private link.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select

from lanet.core.models import StoredFile
from lanet.core.personal_data import (
    ERASED,
    ERASED_DOMAIN,
    PersonalData,
    declare,
    iso,
    not_personal,
)
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import (
    ImportJob,
    ImportJobRow,
    ImportRowStatus,
    Invitation,
    Registration,
)


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


def import_rows_of(person: Person) -> list[ImportJobRow]:
    """The rows of bulk sends (a CSV file, a long list) that carried the person's address."""
    if not person.email:
        return []
    return list(
        db.session.scalars(
            select(ImportJobRow)
            .where(ImportJobRow.email == person.email.lower())
            .order_by(ImportJobRow.id)
        )
    )


def export_import_rows(person: Person) -> list[dict[str, Any]]:
    jobs = {}
    rows = import_rows_of(person)
    for job in db.session.scalars(
        select(ImportJob).where(ImportJob.id.in_({r.job_id for r in rows}))
    ):
        jobs[job.id] = job
    return [
        {
            "event": jobs[r.job_id].event.slug,
            "row": r.row_number,
            "email": r.email,
            "language": r.language,
            "status": r.status,
            "reason": r.reason,
            "queued_at": iso(jobs[r.job_id].created_at),
        }
        for r in rows
    ]


def erase_import_rows(person: Person) -> None:
    # The job keeps its counts; the row keeps its outcome (and a skip's reason code), not the
    # address, nor a failure's message (it may quote the address).
    for row in import_rows_of(person):
        row.email = f"erased-import-{row.id}@{ERASED_DOMAIN}"
        if row.status == ImportRowStatus.failed:
            row.reason = ERASED


declare(
    PersonalData(
        name="registration.import_rows",
        columns={"import_job_rows": ["email", "reason"]},
        export=export_import_rows,
        erase=erase_import_rows,
        description="rows of bulk invitation sends (CSV files, long lists) with the address",
    )
)

not_personal(
    "import_jobs",
    ["error"],
    "a code for why a bulk send stopped as a whole (its event was cancelled); written by the "
    "worker, never a row's data",
)
