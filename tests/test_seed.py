"""The demo seed: the report's facts arrive intact, and seeding twice changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from lanet import create_app
from lanet.accounts.models import User
from lanet.accounts.passwords import DEMO_PASSWORD, verify_password
from lanet.agenda.models import AgendaItem, AgendaVersion
from lanet.attendance.models import Attendance
from lanet.demo_plan import ascii_slug, plan_demo
from lanet.events.models import Event, EventPartner, EventQuota
from lanet.extensions import db
from lanet.network import demo_data
from lanet.network.models import Country, Institution, Person
from lanet.registration.models import Registration
from lanet.seed import seed_demo

REPORT = Path(__file__).resolve().parents[2] / "shared" / "data" / "network-2014.json"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Flask, dict[str, int]]]:
    """An in-memory database seeded once for the whole module (the tests only read it)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    with app.app_context():
        db.create_all()
        counts = seed_demo()
        yield app, counts
        db.session.remove()
        db.engine.dispose()


def _event(slug: str) -> Event:
    return db.session.scalars(select(Event).where(Event.slug == slug)).one()


def test_counts(demo):
    _, counts = demo
    assert counts["member_countries"] == 18
    assert counts["countries"] == len(demo_data.COUNTRIES)
    assert counts["events"] == len(demo_data.EVENTS) + 3  # the report's, and the present's
    assert counts["people"] >= 300
    assert counts["series"] == 1
    assert counts["cycles"] == 3
    assert counts["registrations"] > 400
    assert counts["attendance"] > counts["registrations"]
    assert counts["users"] == 3
    cuba = db.session.get(Country, "CU")
    assert cuba is not None and cuba.membership == "candidate"


def test_second_run_writes_nothing(demo):
    _, first = demo
    tokens = dict(db.session.execute(select(Registration.id, Registration.token_hash)).all())
    writes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        second = seed_demo()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert second == first
    assert writes == []
    after = dict(db.session.execute(select(Registration.id, Registration.token_hash)).all())
    assert after == tokens


def test_plan_is_deterministic_per_seed():
    assert plan_demo(2014) == plan_demo(2014)
    assert plan_demo(2014).people != plan_demo(7).people


def test_attendance_days_lie_within_the_event_dates(demo):
    rows = db.session.execute(
        select(Attendance.day, Event.start_date, Event.end_date, Event.status, Registration.status)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Event, Registration.event_id == Event.id)
    ).all()
    assert rows
    for day, start, end, event_status, registration_status in rows:
        assert start <= day <= end
        assert event_status == "held"
        assert registration_status == "confirmed"


def test_imprecise_events_are_attended_on_a_few_weekdays(demo):
    for slug, length in (("lemkin-c1-p1", 5), ("lemkin-c1-p2", 5), ("planning-2012", 2)):
        event = _event(slug)
        days = db.session.scalars(
            select(Attendance.day)
            .join(Registration, Attendance.registration_id == Registration.id)
            .where(Registration.event_id == event.id)
            .distinct()
        ).all()
        assert len(days) == length, slug
        assert all(day.weekday() < 5 for day in days)


def test_seat_counters_equal_confirmed_registrations(demo):
    confirmed = dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(Registration.status == "confirmed")
            .group_by(Registration.event_id)
        ).all()
    )
    for event in db.session.scalars(select(Event)):
        assert event.seats_confirmed == confirmed.get(event.id, 0), event.slug
        assert event.capacity is None or event.seats_confirmed <= event.capacity
    for quota in db.session.scalars(select(EventQuota)):
        holding = db.session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.event_id == quota.event_id,
                Registration.status == "confirmed",
                Registration.seat_country_code == quota.country_code,
            )
        )
        assert quota.seats_confirmed == holding <= quota.seats


def test_the_may_2015_part_is_history_in_its_own_timezone(demo):
    event = _event("lemkin-c2-p2")
    assert event.status == "closed"
    assert event.timezone == "America/Argentina/Buenos_Aires"
    assert event.capacity == 40
    assert event.cycle.number == 2 and event.part_number == 2
    assert event.registration_closes_at < datetime(2015, 5, 1, tzinfo=UTC)
    assert {q.country_code for q in event.quotas} <= set(demo_data.MEMBER_COUNTRIES)
    statuses = set(
        db.session.scalars(select(Registration.status).where(Registration.event_id == event.id))
    )
    assert {"confirmed", "waitlisted"} <= statuses
    assert _event("cl-policing-course-2015").status == "planned"


def test_the_present_has_a_forthcoming_cycle_and_meeting_open_with_quotas(demo):
    from lanet.registration.queries import registration_is_open

    today = datetime.now(UTC).date()
    part_one, part_two = _event("lemkin-c3-p1"), _event("lemkin-c3-p2")
    assert (part_one.cycle.number, part_one.part_number) == (3, 1)
    assert (part_two.cycle.number, part_two.part_number) == (3, 2)
    assert part_one.city == "Oświęcim" and part_one.timezone == "Europe/Warsaw"
    assert 60 < (part_one.start_date - today).days < 150
    assert (part_two.start_date - part_one.start_date).days > 90
    assert part_two.country_code in demo_data.MEMBER_COUNTRIES
    assert registration_is_open(part_one) and part_two.status == "planned"
    assert part_one.quotas and sum(q.seats for q in part_one.quotas) <= part_one.capacity
    # Copied from cycle 2 part 1: its agenda skeleton, moved to the new dates, as a draft.
    items = db.session.scalars(select(AgendaItem).where(AgendaItem.event_id == part_one.id)).all()
    assert items and all(
        part_one.start_date <= i.starts_at.astimezone(ZoneInfo("Europe/Warsaw")).date()
        for i in items
    )
    meeting = _event("focal-points-meeting-next")
    assert meeting.kind == "focal_points_meeting" and registration_is_open(meeting)
    assert {q.country_code for q in meeting.quotas} == set(demo_data.MEMBER_COUNTRIES)
    assert meeting.start_date > today


def test_many_complete_cycle_one(demo):
    def attendees(slug: str) -> set[int]:
        return set(
            db.session.scalars(
                select(Registration.person_id)
                .join(Attendance, Attendance.registration_id == Registration.id)
                .where(Registration.event_id == _event(slug).id)
                .where(Registration.role == "participant")
            )
        )

    part_one, part_two = attendees("lemkin-c1-p1"), attendees("lemkin-c1-p2")
    assert len(part_one & part_two) >= len(part_one) * 0.6
    instructors = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.role == "instructor", Registration.event_id == _event("lemkin-c1-p1").id
        )
    )
    assert instructors == 3


def test_accents_survive(demo):
    assert db.session.get(Country, "MX").name_es == "México"
    assert db.session.get(Country, "PL").name_es == "Polonia"
    assert db.session.get(Country, "PE").name_es == "Perú"
    assert _event("lemkin-c1-p1").city == "Oświęcim"
    assert "Ramírez" in _event("co-ihl-course-2014").display_title("es")
    assert _event("py-chapter-2014").display_title("pt").startswith("Apresentação")
    names = db.session.scalars(select(Person.last_name)).all()
    assert any(c in "".join(names) for c in "áéíóúñ")
    assert any(c in "".join(names) for c in "ãçõ")
    brazilians = db.session.scalars(select(Person).where(Person.country_code == "BR")).all()
    assert brazilians and {p.language for p in brazilians} == {"pt"}


def test_emails_are_lowercase_ascii(demo):
    emails = db.session.scalars(select(Person.email)).all()
    assert len(emails) == len(set(emails))
    for email in emails:
        assert email == email.lower() and email.isascii()
    assert ascii_slug("María da Conceição Muñoz") == "maria-da-conceicao-munoz"


def test_published_agendas_match_their_drafts(demo):
    for event_data in demo_data.EVENTS:
        event = _event(event_data.slug)
        items = db.session.scalars(
            select(AgendaItem).where(AgendaItem.event_id == event.id).order_by(AgendaItem.starts_at)
        ).all()
        assert len(items) == len(event_data.agenda)
        if not items:
            assert event.agenda_version == 0
            continue
        assert event.agenda_version == 1
        version = db.session.scalars(
            select(AgendaVersion).where(AgendaVersion.event_id == event.id)
        ).one()
        assert [entry["id"] for entry in version.items] == [item.id for item in items]
        zone = ZoneInfo(event.timezone)
        for item in items:
            assert item.starts_at.tzinfo is not None
            assert event.start_date <= item.starts_at.astimezone(zone).date() <= event.end_date
            assert (
                datetime.fromisoformat(
                    next(e for e in version.items if e["id"] == item.id)["starts_at"]
                )
                == item.starts_at
            )


def test_partners_and_lemkin_cycles(demo):
    cr_tools = _event("cr-tools-2014")
    partners = {(p.institution.code or p.institution.name, p.role) for p in cr_tools.partners}
    assert ("AIPR", "organizer") in partners
    assert ("OSAPG", "collaborator") in partners
    assert ("Ministerio de Relaciones Exteriores y Culto de Costa Rica", "organizer") in partners
    report_slugs = [e.slug for e in demo_data.EVENTS]
    assert db.session.scalar(
        select(func.count())
        .select_from(EventPartner)
        .join(Event)
        .where(Event.slug.in_(report_slugs))
    ) == sum(
        len(e.organizers + e.collaborators + e.supporters + e.funders) for e in demo_data.EVENTS
    )
    aipr = db.session.scalars(select(Institution).where(Institution.code == "AIPR")).one()
    assert aipr.kind == "civil_society"
    for cycle, part in ((1, 1), (1, 2), (2, 1), (2, 2)):
        event = _event(f"lemkin-c{cycle}-p{part}")
        assert (event.cycle.number, event.part_number) == (cycle, part)
        assert event.cycle.series.code == "lemkin-la"


def test_demo_accounts(demo):
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert set(users) == {
        "staff@lanet.example",
        "organizer@lanet.example",
        "focal.ar@lanet.example",
    }
    assert [r.role for r in users["staff@lanet.example"].roles] == ["staff"]
    organizer = users["organizer@lanet.example"].roles
    assert {(r.role, r.event_id) for r in organizer} == {
        ("organizer", _event(slug).id) for slug in ("lemkin-c2-p2", "lemkin-c3-p1", "lemkin-c3-p2")
    }
    (focal,) = users["focal.ar@lanet.example"].roles
    assert (focal.role, focal.country_code) == ("focal_point", "AR")
    assert all(user.person.email == user.email for user in users.values())
    assert all(verify_password(user.password_hash, DEMO_PASSWORD) for user in users.values())


def test_partner_institutions_agree_with_member_institutions():
    """A partner that is also a member-country institution must have the same kind."""
    kinds = {
        (name, country): kind
        for country, by_kind in demo_data.MEMBER_INSTITUTIONS.items()
        for kind, names in by_kind.items()
        for name in names
    }
    for partner in demo_data.PARTNER_INSTITUTIONS.values():
        assert kinds.get((partner.name, partner.country), partner.kind) == partner.kind


def test_every_event_has_three_titles_and_a_known_timezone():
    for event in demo_data.EVENTS:
        assert set(event.title_translations) == {"es", "pt", "en"}
        assert event.title_translations["en"] == event.title
        ZoneInfo(event.timezone)
        assert event.start_date <= event.end_date


@pytest.mark.skipif(
    not REPORT.exists(), reason="the shared report data is not beside this checkout"
)
def test_demo_data_copies_the_report():
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    assert list(demo_data.MEMBER_COUNTRIES) == report["member_countries"]
    assert {o.code for o in demo_data.ORGANIZATIONS} == {o["code"] for o in report["organizations"]}
    assert [e.slug for e in demo_data.EVENTS] == [e["key"] for e in report["events"]]
    for fact in report["events"]:
        event = demo_data.EVENTS_BY_SLUG[fact["key"]]
        assert (event.kind, event.title, event.status) == (
            fact["kind"],
            fact["title"],
            fact["status"],
        )
        assert (event.city, event.country) == (fact["city"], fact["country"])
        assert event.timezone == (fact["timezone"] or "UTC")
        assert event.start_date == date.fromisoformat(fact["start"])
        assert event.end_date == date.fromisoformat(fact["end"])
        assert event.date_precision == fact.get("date_precision", "day")
        assert (event.series, event.cycle, event.part) == (
            fact.get("series"),
            fact.get("cycle"),
            fact.get("part"),
        )
        for role in ("organizers", "collaborators", "supporters", "funders"):
            assert list(getattr(event, role)) == fact.get(role, [])
        assert event.audience == fact.get("audience")
        assert event.note == fact.get("note")
        assert [a.title for a in event.agenda] == fact.get("agenda", [])


def test_cities_and_audiences_are_translated(demo):
    """Issue 15, item 9: data that has translations is shown in the reader's language."""
    app, _counts = demo
    geneva = db.session.scalars(select(Event).where(Event.city == "Geneva")).first()
    assert geneva.display_city("es") == "Ginebra" and geneva.display_city("pt") == "Genebra"
    mexico = db.session.scalars(
        select(Event).where(Event.city == "Mexico City", Event.audience.is_not(None))
    ).first()
    assert mexico.display_city("es") == "Ciudad de México"
    assert mexico.display_audience("es").startswith("funcionarios públicos")
    assert mexico.display_audience("en") == mexico.audience
    with_audience = db.session.scalars(select(Event).where(Event.audience.is_not(None))).all()
    assert all(e.display_audience("pt") != e.audience for e in with_audience)
    with app.test_client() as client:
        page = client.get(f"/events/{mexico.slug}?lang=es").text
        assert "Ciudad de México" in page and "Mexico City" not in page
        assert mexico.display_audience("es") in page
        page = client.get(f"/events/{mexico.slug}?lang=pt").text
        assert "Cidade do México" in page and mexico.display_audience("pt") in page
