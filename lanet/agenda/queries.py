"""Reading agendas: the draft for organizers, the latest published version for everyone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload

from lanet.agenda.models import AgendaItem, AgendaSpeaker, AgendaVersion
from lanet.core.reads import read_rows
from lanet.events.access import SLUG_MAX
from lanet.events.models import Event
from lanet.events.queries import translated_column
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


@dataclass(frozen=True, slots=True)
class AgendaEvent:
    """What the public agenda shows of its event; `title` in the page's language. `id` and
    `is_public` are what `events.access.may_see` reads."""

    id: int
    slug: str
    is_public: bool
    title: str
    timezone: str


@dataclass(frozen=True, slots=True)
class PublishedAgenda:
    """The latest published version, as the public agenda shows it."""

    version: int
    published_at: datetime
    items: list
    changes: list


@lru_cache(maxsize=8)
def _public_agenda_statement(language: str):
    """The event and its latest published version in one statement (the unique
    (event_id, version) index finds the latest)."""
    other = aliased(AgendaVersion)
    latest = (
        select(func.max(other.version))
        .where(other.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )
    return (
        select(
            Event.id,
            Event.slug,
            Event.is_public,
            translated_column(Event.title_translations, language, Event.title).label("title"),
            Event.timezone,
            AgendaVersion.version,
            AgendaVersion.published_at,
            AgendaVersion.items,
            AgendaVersion.changes,
        )
        .outerjoin(
            AgendaVersion,
            and_(AgendaVersion.event_id == Event.id, AgendaVersion.version == latest),
        )
        .where(Event.slug == bindparam("slug"))
    )


def public_agenda(slug: str, language: str) -> tuple[AgendaEvent, PublishedAgenda | None] | None:
    """The event named by `slug` and its latest published agenda (None if never published),
    or None for no such event. Whether the caller may see it is the caller's check
    (`events.access.may_see`)."""
    if not slug or len(slug) > SLUG_MAX:
        return None
    rows = read_rows(_public_agenda_statement(language), {"slug": slug})
    if not rows:
        return None
    row = rows[0]
    event = AgendaEvent(row.id, row.slug, row.is_public, row.title, row.timezone)
    if row.version is None:
        return event, None
    return event, PublishedAgenda(row.version, row.published_at, row.items, row.changes)


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
