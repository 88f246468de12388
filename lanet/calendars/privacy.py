"""Stored calendar files: declared for lanet.privacy.

An event's calendar with its agenda names the speakers; a participant's own calendar (stored
by earlier versions under calendar/registration/<id>/, and possibly still there) names them
as attendee. Erasure deletes every stored calendar that names the person: files are rebuilt
from the (by then blanked) data when next asked for. (The person's own legacy files are
also found by their registrations' ids, in registration/privacy.py: calendars sits below
registration.)
"""

from __future__ import annotations

from sqlalchemy import delete, select

from lanet.core.models import StoredFile
from lanet.core.personal_data import (
    PersonalData,
    PersonLike,
    declare,
    mentions,
    not_personal,
    strong_identifiers,
)
from lanet.extensions import db

PREFIX = "calendar/"


def erase_calendars(person: PersonLike) -> None:
    identifiers = strong_identifiers(person)
    # Binary content cannot be searched in SQL on every database: stream the calendar files
    # (a few kilobytes each) and keep the ids of those that name the person.
    rows = db.session.execute(
        select(StoredFile.id, StoredFile.content)
        .where(StoredFile.key.like(PREFIX + "%"))
        .order_by(StoredFile.id)
        .execution_options(yield_per=100)
    )
    doomed = [id_ for id_, content in rows if mentions(content, identifiers)]
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
        erase=erase_calendars,
        description="stored calendars that name the person (agendas they speak in)",
    )
)
not_personal(
    "stored_files",
    ["content_type", "key"],
    "a MIME type and a storage name ('calendar/event/12/es.ics'): ids, no names",
)
