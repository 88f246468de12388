"""Reading agendas: the draft for organizers, the latest published version for everyone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lanet.agenda.models import AgendaItem, AgendaSpeaker, AgendaVersion
from lanet.events.models import Event
from lanet.extensions import db


@dataclass(frozen=True)
class AgendaEntry:
    """One published agenda item, as kept in AgendaVersion.items."""

    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    title: str
    description: str | None = None
    room: str | None = None
    speakers: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> AgendaEntry:
        speakers = tuple(
            f"{s['name']} ({s['affiliation']})" if s.get("affiliation") else s["name"]
            for s in item.get("speakers", [])
        )
        return cls(
            id=int(item["id"]),
            kind=item.get("kind", "session"),
            starts_at=datetime.fromisoformat(item["starts_at"]).astimezone(UTC),
            ends_at=datetime.fromisoformat(item["ends_at"]).astimezone(UTC),
            title=item["title"],
            description=item.get("description"),
            room=item.get("room"),
            speakers=speakers,
        )


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


def public_agenda_version(view_args: dict) -> tuple | None:
    """Publishing an agenda raises the event's agenda_version (and touches updated_at)."""
    row = db.session.execute(
        select(Event.updated_at, Event.agenda_version).where(
            Event.slug == view_args.get("slug", "")
        )
    ).one_or_none()
    return tuple(row) if row else None
