"""Calendar files from storage: ETag/Last-Modified/304, feed filters, flat query counts,
and the worker that rebuilds files after a change."""

from __future__ import annotations

import time as clock
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from lanet.agenda import service as agenda
from lanet.agenda.models import AgendaItem, AgendaSpeaker
from lanet.calendars import service
from lanet.core.models import StoredFile
from lanet.events.models import Event
from lanet.network.models import Person
from tests.fixtures.agenda import ensure_country
from tests.processes import start_worker


@contextmanager
def counted_queries(db):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def insert_events(db, count: int, start: int = 0) -> None:
    ensure_country("AR")
    ensure_country("PL")
    rows = []
    for n in range(start, start + count):
        day = date(2012, 1, 1) + timedelta(days=n % 1400)
        timed = n % 2 == 0
        rows.append(
            {
                "slug": f"bulk-{n}",
                "kind": "workshop" if n % 3 else "lemkin_seminar",
                "title": f"Event {n}",
                "title_translations": {},
                "country_code": "AR" if n % 2 else "PL",
                "timezone": "America/Argentina/Buenos_Aires" if n % 2 else "Europe/Warsaw",
                "start_date": day,
                "end_date": day + timedelta(days=2),
                "date_precision": "time" if timed else "day",
                "starts_at": datetime.combine(day, time(12), UTC) if timed else None,
                "ends_at": datetime.combine(day + timedelta(days=2), time(20), UTC)
                if timed
                else None,
                "status": "held",
                "is_public": True,
                "languages": "es",
                "seats_confirmed": 0,
                "requires_approval": False,
                "sequence": 0,
                "agenda_version": 0,
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        )
    db.session.execute(insert(Event), rows)
    db.session.commit()


# --- serving -------------------------------------------------------------------------------


def test_event_file_is_served_with_etag_and_304(client, db, agenda_event):
    event = agenda_event()
    response = client.get(f"/events/{event.slug}/calendar.ics?lang=pt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    last_modified = response.headers["Last-Modified"]
    assert etag and last_modified
    IcsCalendarStream.calendar_from_ics(response.get_data(as_text=True))
    assert "Seminário" in response.get_data(as_text=True)

    again = client.get(
        f"/events/{event.slug}/calendar.ics?lang=pt", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag  # RFC 9110 15.4.5: a 304 repeats the ETag
    weak = client.get(
        f"/events/{event.slug}/calendar.ics?lang=pt", headers={"If-None-Match": f"W/{etag}"}
    )
    assert weak.status_code == 304
    both = client.get(
        f"/events/{event.slug}/calendar.ics?lang=pt",
        headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified},
    )
    assert both.status_code == 200  # If-None-Match decides when both are sent
    by_date = client.get(
        f"/events/{event.slug}/calendar.ics?lang=pt", headers={"If-Modified-Since": last_modified}
    )
    assert by_date.status_code == 304
    other = client.get(
        f"/events/{event.slug}/calendar.ics?lang=pt", headers={"If-None-Match": '"stale"'}
    )
    assert other.status_code == 200
    stored = db.session.scalars(select(StoredFile.key)).all()
    assert stored == [f"calendar/event/{event.id}/pt.ics"]


def test_event_file_with_agenda_and_unknown_inputs(client, db, agenda_event):
    event = agenda_event()
    agenda.add_item(
        event.id,
        agenda.ItemInput("module", date(2026, 10, 24), time(10), time(12), "Module 1", None, "A"),
    )
    agenda.publish(event.id)
    db.session.commit()
    response = client.get(f"/events/{event.slug}/calendar.ics?agenda=1&lang=en")
    calendar = icalendar.Calendar.from_ical(response.get_data())
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")][1:] == ["Module 1"]
    assert client.get("/events/nope/calendar.ics").status_code == 404
    bad = client.get(f"/events/{event.slug}/calendar.ics?lang=fr")
    assert bad.status_code == 400 and b"es, pt o" in bad.get_data()


def test_network_feed_filters_and_refuses_bad_values(client, db, agenda_event):
    agenda_event(slug="pl-2026", country="PL", kind="lemkin_seminar")
    agenda_event(slug="cl-2026", country="CL", kind="workshop", timezone="America/Santiago")
    agenda_event(slug="ar-2014", country="AR", kind="workshop", start=date(2014, 5, 5))
    hidden = agenda_event(slug="hidden", country="AR")
    hidden.is_public = False
    db.session.commit()

    def uids(query: str) -> set[str]:
        response = client.get(f"/calendar/network.ics?{query}")
        assert response.status_code == 200, response.get_data()
        calendar = icalendar.Calendar.from_ical(response.get_data())
        return {str(e["URL"]).rsplit("/", 1)[1] for e in calendar.walk("VEVENT")}

    assert uids("") == {"pl-2026", "cl-2026", "ar-2014"}
    assert uids("kind=workshop") == {"cl-2026", "ar-2014"}
    assert uids("country=ar") == {"ar-2014"}
    assert uids("year=2026&kind=workshop") == {"cl-2026"}
    named = client.get("/calendar/network.ics?kind=workshop&lang=es").get_data()
    assert b"X-WR-CALNAME:LANET \xe2\x80\x93 eventos" in named or b"X-WR-CALNAME:" in named
    for bad in ("kind=party", "country=ARG", "year=20x6", "year=1200", "lang=de"):
        response = client.get(f"/calendar/network.ics?{bad}")
        assert response.status_code == 400, bad
    assert db.session.scalar(select(StoredFile.id).where(StoredFile.key.like("%party%"))) is None


def test_subscription_page_offers_webcal_and_https(client, db, agenda_event):
    agenda_event(country="PL")
    page = client.get("/calendar?country=PL&lang=en").get_data(as_text=True)
    assert 'href="webcal://127.0.0.1:5000/calendar/network.ics?country=PL&amp;lang=en"' in page
    assert "http://127.0.0.1:5000/calendar/network.ics?country=PL&amp;lang=en" in page
    assert client.get("/calendar?year=abc").status_code == 200


# --- flat query counts -------------------------------------------------------------------------


def test_feed_queries_do_not_grow_with_the_number_of_events(client, db):
    insert_events(db, 10)
    with counted_queries(db) as few:
        assert client.get("/calendar/network.ics?lang=en").status_code == 200
    insert_events(db, 990, start=10)
    db.session.query(StoredFile).delete()
    db.session.commit()
    with counted_queries(db) as many:
        response = client.get("/calendar/network.ics?lang=en")
    assert response.status_code == 200
    assert response.get_data().count(b"BEGIN:VEVENT") == 1000
    assert len(many) == len(few), (few, many)
    with counted_queries(db) as served:
        assert client.get("/calendar/network.ics?lang=en").status_code == 200
    assert len(served) <= len(few)


def test_agenda_pages_cost_the_same_queries_for_10_or_1000_items(
    client, db, agenda_event, make_user, login
):
    def fill(event, count):
        speakers = [Person(first_name="Speaker", last_name=str(n)) for n in range(7)]
        db.session.add_all(speakers)
        db.session.flush()
        first = datetime.combine(event.start_date, time(6), UTC)
        items = db.session.scalars(
            insert(AgendaItem).returning(AgendaItem.id),
            [
                {
                    "event_id": event.id,
                    "kind": "session",
                    "starts_at": first + timedelta(minutes=20 * n),
                    "ends_at": first + timedelta(minutes=20 * n + 15),
                    "title": f"Item {n}",
                    "room": f"Room {n % 3}",
                }
                for n in range(count)
            ],
        ).all()
        db.session.execute(
            insert(AgendaSpeaker),
            [
                {"agenda_item_id": item_id, "person_id": speakers[n % 7].id, "affiliation": "AIPR"}
                for n, item_id in enumerate(items)
            ],
        )
        agenda.publish(event.id)
        db.session.commit()

    small, large = agenda_event(slug="small"), agenda_event(slug="large")
    fill(small, 10)
    fill(large, 1000)
    organizer = make_user("staff")
    login(client, organizer)
    counts = {}
    client.get("/events/small/agenda")  # the first request also loads the signed-in user
    for event in (small, large):
        for path in (
            f"/events/{event.slug}/agenda?tz=America/Lima",
            f"/manage/events/{event.slug}/agenda",
        ):
            with counted_queries(db) as statements:
                response = client.get(path)
            assert response.status_code == 200
            counts[(event.slug, path.split("/")[1])] = len(statements)
    assert counts[("small", "events")] == counts[("large", "events")]
    assert counts[("small", "manage")] == counts[("large", "manage")]


# --- rebuilding ----------------------------------------------------------------------------


def test_rebuild_refreshes_stored_files_and_keeps_unchanged_ones(client, db, agenda_event):
    event = agenda_event()
    first = client.get(f"/events/{event.slug}/calendar.ics?lang=es")
    feed = client.get("/calendar/network.ics?lang=es&country=PL")
    assert service.rebuild_event(event.id) > 0  # the other languages and the agenda variants
    assert service.rebuild_event(event.id) == 0  # nothing changed, nothing rewritten
    unchanged = client.get(f"/events/{event.slug}/calendar.ics?lang=es")
    assert unchanged.headers["ETag"] == first.headers["ETag"]

    agenda.add_item(
        event.id, agenda.ItemInput("session", date(2026, 10, 24), time(9), time(10), "New")
    )
    agenda.publish(event.id)
    db.session.commit()
    service.rebuild_event(event.id)
    changed = client.get(f"/events/{event.slug}/calendar.ics?lang=es")
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert b"SEQUENCE:1" in changed.get_data()
    new_feed = client.get("/calendar/network.ics?lang=es&country=PL")
    assert new_feed.headers["ETag"] != feed.headers["ETag"]
    assert (
        client.get(
            f"/events/{event.slug}/calendar.ics?lang=es",
            headers={"If-None-Match": first.headers["ETag"]},
        ).status_code
        == 200
    )


def calendars_queue(app) -> tuple[int, list[str]]:
    """What waits on the real broker's "calendars" queue (filesystem or Redis), then empties it."""
    celery_app = app.extensions["celery"]
    with celery_app.connection_for_write() as connection:
        channel = connection.default_channel
        tasks = []
        while True:
            message = channel.basic_get("calendars", no_ack=True)
            if message is None:
                break
            tasks.append(message.headers["task"])
        return len(tasks), tasks


def test_rebuild_is_queued_after_commit_and_never_after_rollback(app, db, agenda_event):
    calendars_queue(app)
    event = agenda_event()
    data = agenda.ItemInput("session", date(2026, 10, 24), time(9), time(10), "X")
    # The agenda's own steps commit; a rebuild asked for inside a transaction waits for it.
    service.rebuild_after_commit(event.id)
    assert calendars_queue(app) == (0, [])  # not before the commit
    db.session.rollback()
    assert calendars_queue(app) == (0, [])
    agenda.add_item(event.id, data)
    assert calendars_queue(app) == (0, [])  # a draft change rebuilds nothing
    agenda.publish(event.id)  # commits: the rebuild is queued once
    assert calendars_queue(app) == (1, ["lanet.calendars.rebuild_event"])


@pytest.mark.services
@pytest.mark.slow
def test_a_real_worker_rebuilds_the_files_after_publishing(
    app, db, agenda_event, service_env, tmp_path
):
    event = agenda_event()
    client = app.test_client()
    before = client.get(f"/events/{event.slug}/calendar.ics?lang=en").headers["ETag"].strip('"')
    worker = start_worker(service_env, tmp_path / "worker.log", queues="calendars", concurrency=1)
    try:
        agenda.add_item(
            event.id, agenda.ItemInput("session", date(2026, 10, 24), time(9), time(10), "Late")
        )
        agenda.publish(event.id)
        db.session.commit()
        key = service.event_key(event.id, "en", False)
        deadline = clock.monotonic() + 60
        etag = before
        while clock.monotonic() < deadline and etag == before:
            db.session.rollback()
            etag = db.session.scalar(select(StoredFile.etag).where(StoredFile.key == key))
            clock.sleep(0.3)
        assert etag != before, worker.output()[-3000:]
        assert etag is not None, worker.output()[-3000:]
        assert db.session.scalar(
            select(StoredFile.id).where(StoredFile.key == service.event_key(event.id, "pt", True))
        )
    finally:
        worker.stop()
    response = client.get(f"/events/{event.slug}/calendar.ics?lang=en")
    assert b"SEQUENCE:1" in response.get_data()


def test_a_change_rebuilds_only_the_feeds_the_event_may_appear_in(client, db, agenda_event):
    poland = agenda_event(country="PL", title="Warsaw seminar")
    chile = agenda_event(country="CL", title="Santiago seminar", timezone="America/Santiago")
    client.get("/calendar/network.ics?country=CL&lang=en")
    client.get("/calendar/network.ics?country=PL&lang=en")
    chile.title = "Santiago seminar, new title"
    chile.title_translations = {}
    db.session.commit()
    service.rebuild_event(poland.id)
    assert b"new title" not in client.get("/calendar/network.ics?country=CL&lang=en").get_data()
    service.rebuild_event(chile.id)
    assert b"new title" in client.get("/calendar/network.ics?country=CL&lang=en").get_data()
    assert b"new title" in client.get("/calendar/network.ics?lang=en").get_data()


def test_the_sweep_rebuilds_events_changed_elsewhere(client, db, agenda_event):
    from workers.calendars import sweep

    event = agenda_event(title="Before")
    event.title_translations = {}
    db.session.commit()
    assert service.stale_event_ids() == [event.id]  # never built
    service.rebuild_event(event.id)
    assert service.stale_event_ids() == []
    event.title = "After"  # e.g. edited by the events feature, which asks for no rebuild
    db.session.commit()
    assert service.stale_event_ids() == [event.id]
    assert sweep() > 0
    assert service.stale_event_ids() == []
    body = client.get(f"/events/{event.slug}/calendar.ics?lang=en").get_data()
    assert b"SUMMARY:After" in body
