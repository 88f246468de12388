"""A person's data-protection rights: export everything held about them, or erase it.

Both run every declaration of `lanet.core.personal_data` (each feature's `privacy.py`,
loaded by `create_app`). Services commit: an export is audited and committed; an erasure
runs every eraser in one transaction with its audit entry, and changes nothing if any fails.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lanet.core import audit
from lanet.core.personal_data import PersonalData, declared
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.network.models import Person


class PersonNotFound(LookupError):
    pass


class AlreadyErased(ValueError):
    pass


class NothingDeclared(RuntimeError):
    """The registry is empty: the features' privacy modules were never imported."""


def _declarations() -> list[PersonalData]:
    entries = declared()
    if not entries:
        # Erasing with no erasers would report success and blank nothing.
        raise NothingDeclared("create_app loads every lanet/<feature>/privacy.py")
    return entries


def _person(person_id: int, *, lock: bool = False) -> Person:
    query = select(Person).where(Person.id == person_id)
    if lock:
        # Two staff members erasing the same person at once: the second waits, then finds
        # the person erased.
        query = query.with_for_update()
    person = db.session.scalar(query)
    if person is None:
        raise PersonNotFound(person_id)
    return person


def export_person(person_id: int) -> dict[str, Any]:
    """Everything held about the person, one part per declaration; the export is audited."""
    person = _person(person_id)
    parts = {
        entry.name: entry.export(person) for entry in _declarations() if entry.export is not None
    }
    document = {
        "person_id": person.id,
        "exported_at": utcnow().isoformat(),
        "parts": parts,
    }
    audit.record("person_exported", "person", person.id, person_id=person.id)
    db.session.commit()
    return document


def erase_person(person_id: int) -> Person:
    """Blanks the person's identifying data everywhere it is held, in one transaction."""
    try:
        person = _person(person_id, lock=True)
        if person.erased_at is not None:
            raise AlreadyErased(person_id)
        for entry in _declarations():
            if entry.erase is not None:
                entry.erase(person)
        # The erasure's own entry names no one: the id is all the log keeps.
        audit.record("person_erased", "person", person.id, person_id=person.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return person
