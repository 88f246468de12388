"""Calendar files kept in storage (StoredFile) and the updates that reach registrants.

Workers rebuild the files when events or agendas change; web processes serve the stored
bytes with ETag and Last-Modified. A file missing from storage is built on the spot, so a
new filter combination or a lost worker never leaves a visitor without a calendar.

Transactions: `rebuild_event` and `serve` commit what they store; `rebuild_after_commit`
joins the caller's transaction (the rebuild is asked for once that commits).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta

from flask import Response, request
from sqlalchemy import String, extract, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload

from lanet.agenda.queries import published_entries
from lanet.calendars import build
from lanet.core import dispatch
from lanet.core.boundary import parse_int
from lanet.core.models import StoredFile
from lanet.core.types import utcnow
from lanet.events.models import Event, EventKind
from lanet.extensions import db
from lanet.network.models import LANGUAGES

CONTENT_TYPE = "text/calendar; charset=utf-8"
REBUILD_TASK = "lanet.calendars.rebuild_event"


# --- storage -------------------------------------------------------------------------------


def etag_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:40]


def store(key: str, content: bytes, content_type: str = CONTENT_TYPE) -> StoredFile:
    """Writes the file under `key`; identical bytes keep the old ETag and Last-Modified."""
    etag = etag_of(content)
    stored = db.session.scalar(select(StoredFile).where(StoredFile.key == key))
    if stored is not None:
        if stored.etag != etag:
            stored.content, stored.etag, stored.updated_at = content, etag, utcnow()
            stored.content_type = content_type
        return stored
    stored = StoredFile(key=key, content_type=content_type, content=content, etag=etag)
    try:
        with db.session.begin_nested():
            db.session.add(stored)
    except IntegrityError:
        # Another process stored the same key meanwhile: theirs is as good as ours.
        stored = db.session.scalar(select(StoredFile).where(StoredFile.key == key))
    return stored


def stored(key: str) -> StoredFile | None:
    return db.session.scalar(select(StoredFile).where(StoredFile.key == key))


def serve(
    key: str,
    build_content: Callable[[], bytes],
    *,
    filename: str,
    private: bool = False,
    max_age: int = 300,
) -> Response:
    """The stored file as an HTTP response, 304 when the client's ETag or date still matches.

    The bytes are read only when they are sent: a revalidation reads the ETag and date alone.
    """
    file = db.session.scalar(
        select(StoredFile).where(StoredFile.key == key).options(defer(StoredFile.content))
    )
    if file is None:
        file = store(key, build_content())
        db.session.commit()
    response = Response(mimetype="text/calendar")
    response.headers["Content-Type"] = file.content_type
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.set_etag(file.etag)
    response.last_modified = file.updated_at.astimezone(UTC)
    response.cache_control.max_age = max_age
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    if _still_fresh(file):
        response.status_code = 304
        response.headers.pop("Content-Type", None)
        return response
    response.set_data(file.content)
    return response


def _still_fresh(file: StoredFile) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(file.etag)
    since = request.if_modified_since
    return since is not None and file.updated_at.replace(microsecond=0) <= since


# --- keys and builders ----------------------------------------------------------------------


def event_key(event_id: int, language: str, include_agenda: bool) -> str:
    suffix = "-agenda" if include_agenda else ""
    return f"calendar/event/{event_id}/{language}{suffix}.ics"


def build_event_file(event_id: int, language: str, include_agenda: bool) -> bytes:
    event = db.session.scalar(
        select(Event).where(Event.id == event_id).options(selectinload(Event.country))
    )
    agenda = published_entries(event_id) if include_agenda else ()
    return build.event_calendar(event, language, agenda=agenda)


@dataclass(frozen=True)
class FeedFilter:
    country: str | None = None
    kind: str | None = None
    year: int | None = None

    @property
    def key_part(self) -> str:
        return f"{self.country or 'all'}/{self.kind or 'all'}/{self.year or 'all'}"

    @classmethod
    def from_key_part(cls, part: str) -> FeedFilter:
        country, kind, year = part.split("/")
        return cls(
            country=None if country == "all" else country,
            kind=None if kind == "all" else kind,
            year=None if year == "all" else int(year),
        )


class FeedFilterError(ValueError):
    pass


def parse_feed_filter(args) -> FeedFilter:
    """Feed URLs are typed into calendar apps: a wrong value is refused with its name."""
    country = (args.get("country") or "").strip().upper() or None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise FeedFilterError("country")
    kind = (args.get("kind") or "").strip() or None
    if kind is not None and kind not in EventKind.__members__:
        raise FeedFilterError("kind")
    year_text = (args.get("year") or "").strip()
    year = None
    if year_text:
        year = parse_int(year_text, minimum=1901, maximum=2999)
        if year is None:
            raise FeedFilterError("year")
    return FeedFilter(country=country, kind=kind, year=year)


def feed_key(filters: FeedFilter, language: str) -> str:
    return f"calendar/network/{language}/{filters.key_part}.ics"


def feed_events(filters: FeedFilter) -> list[Event]:
    """The public events of a feed in two queries, however many there are."""
    query = (
        select(Event)
        .where(Event.is_public.is_(True))
        .options(selectinload(Event.country))
        .order_by(Event.start_date, Event.id)
    )
    if filters.country:
        query = query.where(Event.country_code == filters.country)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.year:
        query = query.where(extract("year", Event.start_date) == filters.year)
    return list(db.session.scalars(query))


def build_feed(filters: FeedFilter, language: str) -> bytes:
    return build.network_feed(feed_events(filters), language, name=feed_name(filters, language))


def feed_name(filters: FeedFilter, language: str) -> str:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from lanet.events.labels import KIND_LABELS

    with force_locale(language):
        parts = [_("LANET – events of the Latin American Network")]
        if filters.kind:
            parts.append(str(KIND_LABELS[filters.kind]))
        if filters.country:
            from lanet.network.models import Country

            country = db.session.get(Country, filters.country)
            parts.append(country.name(language) if country else filters.country)
        if filters.year:
            parts.append(str(filters.year))
        return " · ".join(parts)


# --- rebuilding (called by workers) ---------------------------------------------------------


def rebuild_event(event_id: int) -> int:
    """Rebuilds the event's files and the stored feeds it may appear in; returns how many
    files changed. (A participant's own calendar is built fresh on each download from the
    private link, so none is stored.)"""
    before = _etags()
    event = db.session.get(Event, event_id)
    if event is not None:
        for language in LANGUAGES:
            for include_agenda in (False, True):
                store(
                    event_key(event_id, language, include_agenda),
                    build_event_file(event_id, language, include_agenda),
                )
    rebuild_feeds(event)
    db.session.commit()
    after = _etags()
    return sum(1 for key, etag in after.items() if before.get(key) != etag)


def rebuild_feeds(event: Event | None = None) -> None:
    """The feeds someone has asked for, plus the unfiltered feed in each language.

    Given an event, only the feeds it can appear in: same country and kind, any year (a move
    may have taken it from one year's feed to another's).
    """
    keys = set(
        db.session.scalars(select(StoredFile.key).where(StoredFile.key.like("calendar/network/%")))
    )
    keys.update(feed_key(FeedFilter(), language) for language in LANGUAGES)
    for key in sorted(keys):
        _prefix, _network, language, rest = key.removesuffix(".ics").split("/", 3)
        filters = FeedFilter.from_key_part(rest)
        if event is not None and not _may_list(filters, event):
            continue
        store(key, build_feed(filters, language))


def _may_list(filters: FeedFilter, event: Event) -> bool:
    return filters.country in (None, event.country_code) and filters.kind in (None, event.kind)


def stale_event_ids(window: timedelta = timedelta(minutes=15)) -> list[int]:
    """Events changed recently, after their stored calendar was built (e.g. edited by another
    feature). Only recent changes count: a change that leaves the file's bytes as they were
    keeps the old date, and must not be rebuilt on every sweep forever."""
    file_key = "calendar/event/" + Event.id.cast(String) + "/es.ics"
    rows = db.session.execute(
        select(Event.id, Event.updated_at, StoredFile.updated_at)
        .outerjoin(StoredFile, StoredFile.key == file_key)
        .where(Event.updated_at > utcnow() - window)
    )
    return [event_id for event_id, changed, built in rows if built is None or changed > built]


def _etags() -> dict[str, str]:
    return dict(
        db.session.execute(
            select(StoredFile.key, StoredFile.etag).where(StoredFile.key.like("calendar/%"))
        ).all()
    )


def rebuild_after_commit(event_id: int) -> None:
    """Asks the calendars worker to rebuild once the change is committed; a rollback asks nothing.

    A broker outage leaves it to the periodic sweep, which rebuilds stale files.
    """
    dispatch.send_after_commit(REBUILD_TASK, event_id, queue="calendars")
