"""Reading agendas: the draft for organizers, the latest published version for everyone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lanet.agenda.models import AgendaItem, AgendaSpeaker, AgendaVersion
from lanet.calendars.build import AgendaEntry
from lanet.extensions import db


def latest_version(event_id: int) -> AgendaVersion | None:
    return db.session.scalar(
        select(AgendaVersion)
        .where(AgendaVersion.event_id == event_id)
        .order_by(AgendaVersion.version.desc())
        .limit(1)
    )


def published_entries(event_id: int) -> list[AgendaEntry]:
    version = latest_version(event_id)
    if version is None:
        return []
    return [AgendaEntry.from_json(item) for item in version.items]


def draft_items(event_id: int) -> list[AgendaItem]:
    """The draft in order, with speakers and their people, in one query however long it is
    (selectinload would split into one query per 500 items)."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.event_id == event_id)
            .options(joinedload(AgendaItem.speakers).joinedload(AgendaSpeaker.person))
            .order_by(AgendaItem.starts_at, AgendaItem.ends_at, AgendaItem.id)
        ).unique()
    )
