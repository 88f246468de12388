"""Stored calendar files: declared for lanet.privacy.

An event's calendar with its agenda names the speakers; a participant's own calendar (stored
by earlier versions under calendar/registration/<id>/, and possibly still there) names them
as attendee. Erasure deletes every stored calendar that names the person: files are rebuilt
from the (by then blanked) data when next asked for.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from lanet.core.models import StoredFile
from lanet.core.personal_data import (
    PersonalData,
    declare,
    mentions,
    not_personal,
    strong_identifiers,
)
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Registration

PREFIX = "calendar/"
REGISTRATION_PREFIX = "calendar/registration/"


def _registration_ids(person: Person) -> set[int]:
    return set(
        db.session.scalars(select(Registration.id).where(Registration.person_id == person.id))
    )


def _own_keys(person: Person) -> list[str]:
    ids = _registration_ids(person)
    keys = db.session.scalars(
        select(StoredFile.key).where(StoredFile.key.like(REGISTRATION_PREFIX + "%"))
    )
    return sorted(k for k in keys if _registration_of(k) in ids)


def _registration_of(key: str) -> int | None:
    number = key.removeprefix(REGISTRATION_PREFIX).split("/", 1)[0]
    return int(number) if number.isdigit() else None


def export_calendars(person: Person) -> list[str]:
    """The names of the stored files of the person's own calendars (their content is the
    registrations' events, exported by registration)."""
    return _own_keys(person)


def erase_calendars(person: Person) -> None:
    own = set(_own_keys(person))
    identifiers = strong_identifiers(person)
    # Binary content cannot be searched in SQL on every database: stream the calendar files
    # (a few kilobytes each) and keep the ids of those that name the person.
    rows = db.session.execute(
        select(StoredFile.id, StoredFile.key, StoredFile.content)
        .where(StoredFile.key.like(PREFIX + "%"))
        .order_by(StoredFile.id)
        .execution_options(yield_per=100)
    )
    doomed = [id_ for id_, key, content in rows if key in own or mentions(content, identifiers)]
    for start in range(0, len(doomed), 500):
        db.session.execute(
            delete(StoredFile)
            .where(StoredFile.id.in_(doomed[start : start + 500]))
            .execution_options(synchronize_session=False)
        )


declare(
    PersonalData(
        name="calendars.stored_files",
        columns={"stored_files": ["content"]},
        export=export_calendars,
        erase=erase_calendars,
        description="stored calendars that name the person (their own, agendas they speak in)",
    )
)
not_personal(
    "stored_files",
    ["content_type", "key"],
    "a MIME type and a storage name ('calendar/registration/12/es.ics'): ids, no names",
)
