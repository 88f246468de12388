"""Speakers in the draft agenda and in published versions: declared for lanet.privacy.

An erased speaker leaves the draft and every published version (the public pages and
calendars read the versions); the sessions stay. Where a session's title or description
names the speaker, the name is replaced in the draft and in the versions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, func, or_, select

from lanet.agenda.models import AgendaSpeaker, AgendaVersion
from lanet.core.personal_data import (
    PersonalData,
    declare,
    identifying_strings,
    redact,
    sql_mentions,
    strong_identifiers,
)
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Person


def _speaking(person: Person) -> list[AgendaSpeaker]:
    return list(
        db.session.scalars(
            select(AgendaSpeaker)
            .where(AgendaSpeaker.person_id == person.id)
            .order_by(AgendaSpeaker.id)
        )
    )


def _versions(person: Person, event_ids: set[int]) -> list[AgendaVersion]:
    """Versions that list the person as a speaker or name them; found by the stored JSON."""
    items_text = func.lower(cast(AgendaVersion.items, Text))
    by_id = or_(
        items_text.contains(f'"person_id": {person.id}', autoescape=True),
        items_text.contains(f'"person_id":{person.id}', autoescape=True),
    )
    identifiers = strong_identifiers(person)
    versions = db.session.scalars(
        select(AgendaVersion)
        .where(
            or_(
                AgendaVersion.event_id.in_(event_ids or {0}),
                by_id,
                sql_mentions(AgendaVersion.items, identifiers),
                sql_mentions(AgendaVersion.changes, identifiers),
            )
        )
        .order_by(AgendaVersion.event_id, AgendaVersion.version)
    )
    return [v for v in versions if _lists(v, person) or _names(v, identifiers)]


def _lists(version: AgendaVersion, person: Person) -> bool:
    return any(
        s.get("person_id") == person.id
        for item in version.items or []
        for s in item.get("speakers", [])
    )


def _names(version: AgendaVersion, identifiers: list[str]) -> bool:
    return redact([version.items, version.changes], identifiers) != [
        version.items,
        version.changes,
    ]


def export_speaking(person: Person) -> dict[str, list[dict[str, Any]]]:
    """Sessions in the draft the person speaks at, and published versions that list them."""
    draft = [
        {
            "event": db.session.get(Event, s.item.event_id).slug,
            "session": s.item.title,
            "starts_at": s.item.starts_at.isoformat(),
            "affiliation": s.affiliation,
        }
        for s in _speaking(person)
    ]
    published = []
    for version in _versions(person, {s.item.event_id for s in _speaking(person)}):
        for item in version.items or []:
            for speaker in item.get("speakers", []):
                if speaker.get("person_id") == person.id:
                    published.append(
                        {
                            "event": db.session.get(Event, version.event_id).slug,
                            "version": version.version,
                            "session": item.get("title"),
                            "starts_at": item.get("starts_at"),
                            "name": speaker.get("name"),
                            "affiliation": speaker.get("affiliation"),
                        }
                    )
    return {"draft": draft, "published": published}


def erase_speaking(person: Person) -> None:
    speaking = _speaking(person)
    event_ids = {s.item.event_id for s in speaking}
    # Whole words of the name only inside sessions the person spoke at: elsewhere a first
    # name alone may well be someone else's.
    names = identifying_strings(person)
    for speaker in speaking:
        item = speaker.item
        item.title = redact(item.title, names)
        item.description = redact(item.description, names)
        item.speakers.remove(speaker)
    for version in _versions(person, event_ids):
        # Where the person spoke, any word of their name; elsewhere only the full name or email.
        words = names if _lists(version, person) else strong_identifiers(person)
        items = []
        for item in version.items or []:
            others = [s for s in item.get("speakers", []) if s.get("person_id") != person.id]
            text = {key: value for key, value in item.items() if key != "speakers"}
            items.append({**redact(text, words), "speakers": others})
        version.items = items
        version.changes = redact(version.changes or [], words)


declare(
    PersonalData(
        name="agenda.speakers",
        columns={
            "agenda_speakers": ["affiliation"],
            "agenda_items": ["title", "description"],
            "agenda_versions": ["items", "changes"],
        },
        export=export_speaking,
        erase=erase_speaking,
        description="the person as a speaker, in the draft and in the published versions",
    )
)
