"""Every benchmark's loader still fills the current schema (a handful of rows, not the
benchmark's sizes): bench/attendance_totals.py's hand-written INSERTs broke silently when
events got `description_translations` (NOT NULL) and registrations lost `manage_token`,
and nobody ran the benchmark until the next measurement was due."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from bench import attendance_totals, calendar_feed, certificates, login_timing
from bench.common import insert_select


def test_insert_select_fills_the_columns_left_out_from_the_models_defaults(db) -> None:
    from lanet.events.models import Event
    from lanet.network.models import Country

    with db.engine.begin() as connection:
        insert_select(connection, Country, {
            "code": "'PL'", "name_es": "'Polonia'", "name_pt": "'Polônia'", "name_en": "'Poland'",
        }, "(SELECT 1) AS one")  # fmt: skip
        insert_select(connection, Event, {
            "slug": "'event-' || i",
            "kind": "'workshop'",
            "title": "'Event ' || (i % 7)",  # % is modulo, not a parameter
            "country_code": "'PL'",
            "start_date": "'2020-01-01'",
            "end_date": "'2020-01-02'",
        }, "(SELECT 3 AS i UNION ALL SELECT 9) AS numbers")  # fmt: skip
    events = db.session.scalars(select(Event).order_by(Event.slug)).all()
    assert [e.title for e in events] == ["Event 3", "Event 2"]
    for event in events:
        assert event.description_translations == {} and event.title_translations == {}
        assert event.status == "planned" and event.seats_confirmed == 0
        assert event.created_at is not None
    assert db.session.get(Country, "PL").membership  # its model default


def test_attendance_totals_loader_and_compile_on_postgresql(db, on_postgres) -> None:
    if not on_postgres:
        pytest.skip("the loader builds its rows with PostgreSQL's generate_series")
    from lanet.attendance.models import Attendance, AttendanceTotal
    from lanet.attendance.totals import compile_totals
    from lanet.registration.models import Registration

    with db.engine.begin() as connection:
        attendance_totals.load(connection, people=40, events=80, rows=320)
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 320
    hashes = db.session.scalars(select(Registration.token_hash)).all()
    assert len(hashes) == 80 and len(set(hashes)) == 80 and all(len(h) == 64 for h in hashes)

    compile_totals()
    stored = {
        (t.key, t.year): (t.people, t.person_days)
        for t in db.session.scalars(
            select(AttendanceTotal).where(
                AttendanceTotal.dimension == "country", AttendanceTotal.year > 0
            )
        )
    }
    expected = {
        (c, y): (p, d) for c, y, p, d in db.session.execute(text(attendance_totals.BASELINE_SQL))
    }
    assert stored == expected and expected


def test_calendar_feed_loader_and_feed(db) -> None:
    from lanet.calendars import service

    calendar_feed.load(calendar_feed.event_rows(8))
    content = service.build_feed(service.FeedFilter(), "en")
    assert content.count(b"BEGIN:VEVENT") == 8


def test_certificates_loader_and_one_production_run(db) -> None:
    from lanet.certificates.models import Certificate

    template_id = certificates.load(3)
    seconds, done = certificates.produce(template_id)
    assert done == 3
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3


def test_login_timing_seed(db, database_url) -> None:
    from lanet.accounts.models import User

    login_timing.seed(database_url)
    db.session.expire_all()
    assert db.session.scalar(select(User.email).where(User.email == login_timing.KNOWN))
