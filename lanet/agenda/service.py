"""Changing agendas: the organizers' draft, CSV import and publishing.

Transactions: each public function commits its change (with the outbox rows and dispatch it
causes); a domain error rolls back, so nothing was changed. `shift_draft` and
`snapshot_version` are steps of an event's move and work in its transaction (agenda/hooks.py).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lanet.agenda.models import AgendaItem, AgendaItemKind, AgendaSpeaker, AgendaVersion
from lanet.agenda.queries import draft_items, latest_version
from lanet.core import audit, signals
from lanet.core.i18n import service_text as _
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Person

P = ParamSpec("P")
R = TypeVar("R")

ITEM_KINDS = tuple(kind.value for kind in AgendaItemKind)
MAX_TITLE = 300
MAX_ROOM = 120
MAX_IMPORT_ROWS = 2000
CSV_COLUMNS = ("date", "start", "end", "kind", "title", "room", "speakers", "description")


def _committed(change: Callable[P, R]) -> Callable[P, R]:
    """Commits what `change` did; any error rolls it back (and releases the event's lock)."""

    @functools.wraps(change)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = change(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return run


class AgendaError(Exception):
    """A refused change; `field` names the form field it concerns, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AgendaImportError(AgendaError):
    """An import refused as a whole, with one message per bad row (row 1 is the header)."""

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__(_("The file was not imported; nothing was changed."))
        self.rows = rows


class NothingToPublish(AgendaError):
    pass


@dataclass(frozen=True)
class SpeakerInput:
    name: str
    affiliation: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ItemInput:
    """An item as the organizer gives it: a local day and times in the event's timezone."""

    kind: str
    day: date
    start: time
    end: time
    title: str
    description: str | None = None
    room: str | None = None
    speakers: Sequence[SpeakerInput] = field(default_factory=tuple)


# --- the draft -------------------------------------------------------------------------------


@_committed
def add_item(event_id: int, data: ItemInput) -> AgendaItem:
    return _add_item(event_id, data)


def _add_item(event_id: int, data: ItemInput) -> AgendaItem:
    event = _event(event_id)
    starts_at, ends_at = _check(event, data, exclude_id=None)
    item = AgendaItem(event_id=event.id)
    _apply(item, data, starts_at, ends_at)
    db.session.add(item)
    db.session.flush()
    audit.record(
        "agenda.item_added",
        "agenda_item",
        item.id,
        event_id=event.id,
        changes={"title": item.title},
    )
    return item


@_committed
def edit_item(item_id: int, data: ItemInput) -> AgendaItem:
    item = _item(item_id)
    event = _event(item.event_id)
    starts_at, ends_at = _check(event, data, exclude_id=item.id)
    before = _snapshot(item)
    _apply(item, data, starts_at, ends_at)
    db.session.flush()
    after = _snapshot(item)
    changed = {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
    audit.record("agenda.item_edited", "agenda_item", item.id, event_id=event.id, changes=changed)
    return item


@_committed
def delete_item(item_id: int) -> None:
    item = _item(item_id)
    audit.record(
        "agenda.item_deleted",
        "agenda_item",
        item.id,
        event_id=item.event_id,
        changes={"title": item.title},
    )
    db.session.delete(item)
    db.session.flush()


def local_times(event: Event, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """UTC instants of a local day and times in the event's zone; a time that the clocks skip
    (spring forward) is refused rather than silently moved."""
    zone = ZoneInfo(event.timezone)
    result = []
    for moment, field_name in ((start, "start"), (end, "end")):
        local = datetime.combine(day, moment, tzinfo=zone)
        as_utc = local.astimezone(UTC)
        if as_utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            raise AgendaError(
                _(
                    "%(time)s does not exist on %(day)s in %(zone)s (the clocks change).",
                    time=moment.strftime("%H:%M"),
                    day=day.isoformat(),
                    zone=event.timezone,
                ),
                field_name,
            )
        result.append(as_utc)
    return result[0], result[1]


def _check(event: Event, data: ItemInput, exclude_id: int | None) -> tuple[datetime, datetime]:
    title = (data.title or "").strip()
    if not title:
        raise AgendaError(_("A title is required."), "title")
    if len(title) > MAX_TITLE:
        raise AgendaError(
            _("The title is too long (at most %(n)s characters).", n=MAX_TITLE), "title"
        )
    if data.kind not in ITEM_KINDS:
        raise AgendaError(_("Unknown kind of item."), "kind")
    if data.room and len(data.room.strip()) > MAX_ROOM:
        raise AgendaError(
            _("The room name is too long (at most %(n)s characters).", n=MAX_ROOM), "room"
        )
    if data.day < event.start_date or data.day > event.end_date:
        raise AgendaError(
            _(
                "The day must fall within the event (%(start)s – %(end)s).",
                start=event.start_date.isoformat(),
                end=event.end_date.isoformat(),
            ),
            "day",
        )
    starts_at, ends_at = local_times(event, data.day, data.start, data.end)
    if ends_at < starts_at:
        raise AgendaError(_("The end must not be before the start."), "end")
    room_taken = _room_conflict(event.id, data.room, starts_at, ends_at, exclude_id)
    if room_taken is not None:
        raise AgendaError(
            _(
                "%(room)s is already booked at that time for “%(title)s”.",
                room=room_taken.room,
                title=room_taken.title,
            ),
            "room",
        )
    return starts_at, ends_at


def _room_conflict(
    event_id: int,
    room: str | None,
    starts_at: datetime,
    ends_at: datetime,
    exclude_id: int | None,
) -> AgendaItem | None:
    room = (room or "").strip()
    if not room:
        return None
    # Intervals are half-open: a session may start in the room the minute the previous ends.
    query = select(AgendaItem).where(
        AgendaItem.event_id == event_id,
        func.lower(AgendaItem.room) == room.lower(),
        AgendaItem.starts_at < ends_at,
        AgendaItem.ends_at > starts_at,
    )
    if exclude_id is not None:
        query = query.where(AgendaItem.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def _apply(item: AgendaItem, data: ItemInput, starts_at: datetime, ends_at: datetime) -> None:
    item.kind = data.kind
    item.starts_at = starts_at
    item.ends_at = ends_at
    item.title = data.title.strip()
    item.description = (data.description or "").strip() or None
    item.room = (data.room or "").strip() or None
    # A speaker shown in the edit form and saved unchanged stays the same person, whatever
    # other person shares the name.
    current = {_speaker_line(s): s.person for s in item.speakers}
    wanted = [
        _speaker(s, position, current.get(_input_line(s)))
        for position, s in enumerate(data.speakers)
    ]
    # Replaced as a whole; the unique (item, person) pair forbids the same person twice.
    seen: set[int] = set()
    item.speakers.clear()
    db.session.flush()
    for speaker in wanted:
        if speaker.person_id in seen:
            continue
        seen.add(speaker.person_id)
        item.speakers.append(speaker)


def speakers_text(item: AgendaItem) -> str:
    """The speakers as the edit form shows them, one per line, in the form `parse_speakers`
    reads back: saving the form unchanged keeps the same speakers."""
    return "\n".join(_speaker_line(s) for s in item.speakers)


def _speaker_line(speaker: AgendaSpeaker) -> str:
    name = speaker.person.full_name
    return f"{name} ({speaker.affiliation})" if speaker.affiliation else name


def _input_line(data: SpeakerInput) -> str:
    name = " ".join(data.name.split())
    affiliation = (data.affiliation or "").strip()
    return f"{name} ({affiliation})" if affiliation else name


def _speaker(data: SpeakerInput, position: int, known: Person | None = None) -> AgendaSpeaker:
    """Finds the speaker by email when given, else by exact name; creates the person otherwise."""
    name = " ".join(data.name.split())
    email = (data.email or "").strip().lower() or None
    person = known if known is not None and not email else None
    if person is None and email:
        person = db.session.scalar(select(Person).where(Person.email == email))
    if person is None:
        first, _sep, last = name.partition(" ")
        # The whole name, so "Ana María López" finds the person stored as "Ana María" + "López".
        full = func.trim(Person.first_name + " " + func.coalesce(Person.last_name, ""))
        person = db.session.scalar(select(Person).where(full == name).order_by(Person.id).limit(1))
        if person is None:
            person = Person(first_name=first, last_name=last, email=email)
            db.session.add(person)
            db.session.flush()
    affiliation = (data.affiliation or "").strip() or (
        person.institution.name if person.institution else None
    )
    return AgendaSpeaker(
        person_id=person.id, person=person, affiliation=affiliation, position=position
    )


def parse_speakers(text: str) -> list[SpeakerInput]:
    """One speaker per line (or per ';' in CSV): `Name (Affiliation) <email>`, the last two
    optional."""
    speakers = []
    for raw in text.replace(";", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        email = None
        if line.endswith(">") and "<" in line:
            line, _sep, email = line[:-1].rpartition("<")
            line = line.strip()
        affiliation = None
        if line.endswith(")") and "(" in line:
            line, _sep, affiliation = line[:-1].rpartition("(")
            line = line.strip()
        if not line:
            raise AgendaError(_("Each speaker needs a name."), "speakers")
        speakers.append(SpeakerInput(name=line, affiliation=affiliation, email=email))
    return speakers


# --- CSV import ----------------------------------------------------------------------------


@_committed
def import_csv(event_id: int, content: bytes | str, *, replace: bool = False) -> list[AgendaItem]:
    """Adds every row of the file to the draft, or none: any bad row refuses the whole file.

    Columns: date (YYYY-MM-DD), start and end (HH:MM, in the event's timezone), kind, title,
    room, speakers (`Name (Affiliation)` separated by ';'), description.
    """
    event = _event(event_id)
    rows, errors = _read_rows(content)
    if errors:
        raise AgendaImportError(errors)
    parsed: list[tuple[int, ItemInput]] = []
    for number, row in rows:
        try:
            parsed.append((number, _row_input(row)))
        except AgendaError as error:
            errors.append((number, error.message))
    if errors:
        raise AgendaImportError(errors)
    savepoint = db.session.begin_nested()
    created: list[AgendaItem] = []
    try:
        if replace:
            for item in draft_items(event.id):
                db.session.delete(item)
            db.session.flush()
        for number, data in parsed:
            try:
                created.append(_add_item(event.id, data))
            except AgendaError as error:
                errors.append((number, error.message))
    except Exception:
        savepoint.rollback()
        raise
    if errors:
        savepoint.rollback()
        raise AgendaImportError(errors)
    savepoint.commit()
    return created


def _read_rows(content: bytes | str) -> tuple[list[tuple[int, dict[str, str]]], list]:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [(0, _("The file is not UTF-8 text."))]
    try:
        sample = content[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(content), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("date", "start", "end", "title") if c not in header]
    if missing:
        return [], [(1, _("Missing columns: %(columns)s.", columns=", ".join(missing)))]
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
            if len(rows) > MAX_IMPORT_ROWS:
                return [], [
                    (reader.line_num, _("Too many rows (at most %(n)s).", n=MAX_IMPORT_ROWS))
                ]
    except csv.Error as error:
        return [], [(reader.line_num, _("Unreadable CSV: %(error)s", error=str(error)))]
    if not rows:
        return [], [(1, _("The file has no agenda rows."))]
    return rows, []


def _row_input(row: dict[str, str]) -> ItemInput:
    try:
        day = date.fromisoformat(row.get("date", ""))
    except ValueError:
        raise AgendaError(_("Date must be written YYYY-MM-DD.")) from None
    start = _parse_time(row.get("start", ""), _("start"))
    end = _parse_time(row.get("end", ""), _("end"))
    kind = (row.get("kind") or "session").lower()
    if kind not in ITEM_KINDS:
        raise AgendaError(
            _("Unknown kind “%(kind)s” (use %(kinds)s).", kind=kind, kinds=", ".join(ITEM_KINDS))
        )
    return ItemInput(
        kind=kind,
        day=day,
        start=start,
        end=end,
        title=row.get("title", ""),
        description=row.get("description") or None,
        room=row.get("room") or None,
        speakers=parse_speakers(row.get("speakers", "")),
    )


def _parse_time(text: str, label: Any) -> time:
    try:
        return time.fromisoformat(text.strip().zfill(5) if len(text.strip()) == 4 else text.strip())
    except ValueError:
        raise AgendaError(_("The %(which)s time must be written HH:MM.", which=label)) from None


# --- publishing ----------------------------------------------------------------------------


@_committed
def publish(event_id: int, *, user_id: int | None = None) -> AgendaVersion:
    """Makes the draft the public agenda: a new version, the change list against the previous
    one and a raised SEQUENCE, announced with `agenda_published` (registrants get an iMIP
    update, the stored calendars are rebuilt)."""
    event = _event(event_id, lock=True)
    version = snapshot_version(event, user_id=user_id)
    if version is None:
        raise NothingToPublish(_("The draft has no changes since the published version."))
    event.sequence = (event.sequence or 0) + 1
    db.session.flush()
    signals.agenda_published.send(event, version=version, user_id=user_id)
    audit.record(
        "agenda.published",
        "event",
        event.id,
        event_id=event.id,
        changes={"version": version.version, "changes": len(version.changes)},
        user_id=user_id,
    )
    return version


def snapshot_version(
    event: Event, *, user_id: int | None = None, allow_empty_change: bool = False
) -> AgendaVersion | None:
    """Freezes the draft as the next version; None when it equals the latest version."""
    items = [item_json(item) for item in draft_items(event.id)]
    previous = latest_version(event.id)
    changes = diff_items(previous.items if previous else [], items)
    if not changes and not allow_empty_change:
        return None
    number = (previous.version if previous else 0) + 1
    version = AgendaVersion(
        event_id=event.id, version=number, items=items, changes=changes, published_by_id=user_id
    )
    db.session.add(version)
    event.agenda_version = number
    db.session.flush()
    return version


def item_json(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "starts_at": item.starts_at.astimezone(UTC).isoformat(),
        "ends_at": item.ends_at.astimezone(UTC).isoformat(),
        "title": item.title,
        "description": item.description,
        "room": item.room,
        "speakers": [
            {"person_id": s.person_id, "name": s.person.full_name, "affiliation": s.affiliation}
            for s in item.speakers
        ],
    }


COMPARED = ("kind", "starts_at", "ends_at", "title", "description", "room", "speakers")
CHANGE_LABELS = {
    "added": _l("Added"),
    "removed": _l("Removed"),
    "changed": _l("Changed"),
}


def diff_items(before: Iterable[dict], after: Iterable[dict]) -> list[dict[str, Any]]:
    """What changed between two versions, item by item (matched by the draft item's id)."""
    old = {item["id"]: item for item in before}
    new = {item["id"]: item for item in after}
    changes: list[dict[str, Any]] = []
    for item_id, item in new.items():
        if item_id not in old:
            changes.append(_change("added", item, []))
            continue
        fields = [f for f in COMPARED if old[item_id].get(f) != item.get(f)]
        if fields:
            change = _change("changed", item, fields)
            change["before"] = {f: old[item_id].get(f) for f in fields if f != "speakers"}
            changes.append(change)
    for item_id, item in old.items():
        if item_id not in new:
            changes.append(_change("removed", item, []))
    changes.sort(key=lambda c: (c["starts_at"], c["id"]))
    return changes


def _change(kind: str, item: dict, fields: list[str]) -> dict[str, Any]:
    return {
        "type": kind,
        "id": item["id"],
        "title": item["title"],
        "starts_at": item["starts_at"],
        "ends_at": item["ends_at"],
        "fields": fields,
    }


# --- helpers -------------------------------------------------------------------------------


def shift_draft(event: Event, days: int, timezone: str | None = None) -> None:
    """Moves every draft item by whole local days, keeping its wall-clock times in `timezone`
    (the event's zone before a move; its current zone when not given)."""
    if not days:
        return
    zone = ZoneInfo(timezone or event.timezone)
    for item in draft_items(event.id):
        for attr in ("starts_at", "ends_at"):
            local = getattr(item, attr).astimezone(zone)
            moved = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)
            setattr(item, attr, moved.astimezone(UTC))
    db.session.flush()


def _event(event_id: int, *, lock: bool = False) -> Event:
    query = select(Event).where(Event.id == event_id)
    if lock:
        # Two organizers publishing at once must not both take the same version number.
        query = query.with_for_update()
    event = db.session.scalar(query)
    if event is None:
        raise AgendaError(_("No such event."))
    return event


def _item(item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise AgendaError(_("No such agenda item."))
    return item


def _snapshot(item: AgendaItem) -> dict[str, Any]:
    data = item_json(item)
    data.pop("id")
    return data
