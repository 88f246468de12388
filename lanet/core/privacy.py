"""The audit log's personal data, declared for lanet.privacy.

Entries stay after an erasure (who changed what, when); the personal values in them go.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from lanet.core.audit import AuditEntry
from lanet.core.personal_data import (
    PersonalData,
    PersonLike,
    blank,
    blank_mentions,
    declare,
    identifying_strings,
    iso,
    mentions,
    sql_mentions,
    strong_identifiers,
)
from lanet.extensions import db


def _entries(person: PersonLike) -> list[AuditEntry]:
    """Entries about the person: theirs, or about the person row."""
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


def _naming_entries(person: PersonLike, exclude: set[int]) -> list[AuditEntry]:
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


def export_audit(person: PersonLike) -> list[dict[str, Any]]:
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


def erase_audit(person: PersonLike) -> None:
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
        name="core.audit",
        columns={"audit_entries": ["changes", "actor"]},
        export=export_audit,
        erase=erase_audit,
        description="who changed what: personal values in the changes are blanked, the "
        "entries stay",
    )
)
