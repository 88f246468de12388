"""The public event list splits by date, in each event's own time zone, not by status: an
event of 2015 that nobody marked held is past, shown with its status and "not recorded as
carried out"; a cancelled event stays in its part of the list, marked cancelled. The API's
`when` filter and `past` field follow the same rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lanet.events import queries
from lanet.events.models import Event
from tests.fixtures.registration import create_open_event


def _event(db, slug: str, start: date, end: date, status: str, timezone: str = "UTC") -> Event:
    event = Event(
        slug=slug,
        kind="national_seminar",
        title=f"Event {slug}",
        status=status,
        timezone=timezone,
        start_date=start,
        end_date=end,
    )
    db.session.add(event)
    db.session.commit()
    return event


@pytest.fixture()
def listed(db):
    """The demo's 2015 plans (a half-year course still 'planned', the May 2015 Lemkin part
    'closed'), a 2014 seminar held, a 2015 one cancelled, and what is still to come."""
    today = datetime.now(UTC).date()
    _event(db, "course-2015", date(2015, 7, 1), date(2015, 12, 31), "planned", "America/Santiago")
    _event(db, "lemkin-2015", date(2015, 5, 1), date(2015, 5, 31), "closed")
    _event(db, "held-2014", date(2014, 10, 27), date(2014, 10, 29), "held")
    _event(db, "cancelled-2015", date(2015, 3, 2), date(2015, 3, 3), "cancelled")
    create_open_event(slug="coming-open")
    _event(db, "coming-cancelled", today + timedelta(days=40), today + timedelta(days=41),
           "cancelled")  # fmt: skip
    _event(db, "coming-planned", today + timedelta(days=90), today + timedelta(days=91), "planned")
    _event(db, "ongoing", today - timedelta(days=2), today + timedelta(days=1), "closed",
           "Pacific/Kiritimati")  # fmt: skip


def _sections(html: str) -> tuple[str, str]:
    assert 'id="upcoming-heading"' in html and 'id="past-heading"' in html
    upcoming, past = html.split('id="past-heading"', 1)
    return upcoming.split('id="upcoming-heading"', 1)[1], past


def _cards(section: str) -> dict[str, str]:
    cards = {}
    for card in section.split('<li class="event-card')[1:]:
        slug = card.split('href="/events/', 1)[1].split('"', 1)[0]
        cards[slug] = card.split("</li>", 1)[0]
    return cards


def test_past_events_are_listed_as_past_whatever_their_status(client, listed):
    upcoming, past = _sections(client.get("/events?lang=en").data.decode())
    upcoming_cards, past_cards = _cards(upcoming), _cards(past)
    assert set(upcoming_cards) == {"coming-open", "coming-cancelled", "coming-planned", "ongoing"}
    assert set(past_cards) == {"course-2015", "lemkin-2015", "held-2014", "cancelled-2015"}
    # Upcoming soonest first, past latest first.
    assert list(upcoming_cards)[-1] == "coming-planned"
    assert list(past_cards) == ["course-2015", "lemkin-2015", "cancelled-2015", "held-2014"]
    # A past event keeps its status, and says nobody recorded that it took place.
    assert "Planned" in past_cards["course-2015"]
    assert "Not recorded as carried out" in past_cards["course-2015"]
    assert "Registration closed" in past_cards["lemkin-2015"]
    assert "Not recorded as carried out" in past_cards["lemkin-2015"]
    assert "Carried out" in past_cards["held-2014"]
    assert "Not recorded" not in past_cards["held-2014"]
    # Cancelled events are marked, in whichever part their date puts them.
    assert "status-cancelled" in past_cards["cancelled-2015"]
    assert "status-cancelled" in upcoming_cards["coming-cancelled"]
    assert "Not recorded" not in past_cards["cancelled-2015"] + upcoming


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("es", ("Próximos eventos", "Eventos pasados")),
        ("pt", ("Próximos eventos", "Eventos passados")),
    ],
)
def test_the_headings_are_translated(client, listed, language, headings):
    html = client.get(f"/events?lang={language}").data.decode()
    assert all(heading in html for heading in headings)
    note = {"es": "Sin registro de su realización", "pt": "Realização não registrada"}[language]
    assert note in _sections(html)[1]


@pytest.mark.parametrize(
    ("timezone", "last_day_ends_utc"),
    [
        # Auckland is UTC+13 in November: its 29th ends at 11:00 UTC that day.
        ("Pacific/Auckland", datetime(2026, 11, 29, 11, 0, tzinfo=UTC)),
        # Lima is UTC-5: its 29th ends at 05:00 UTC on the 30th.
        ("America/Lima", datetime(2026, 11, 30, 5, 0, tzinfo=UTC)),
    ],
)
def test_an_event_turns_past_at_midnight_in_its_own_time_zone(timezone, last_day_ends_utc):
    event = Event(
        status="planned",
        timezone=timezone,
        start_date=date(2026, 11, 28),
        end_date=date(2026, 11, 29),
    )
    assert not queries.is_past(event, last_day_ends_utc - timedelta(minutes=1))
    assert queries.is_past(event, last_day_ends_utc)
    event.status = "held"  # recorded as held: past, even before its last day ends
    assert queries.is_past(event, last_day_ends_utc - timedelta(days=1))


def test_the_page_cache_version_changes_every_quarter_hour(db):
    at = datetime(2026, 11, 30, 10, 14, 59, tzinfo=UTC)
    assert queries.listing_version({}, at) != queries.listing_version({}, at + timedelta(seconds=1))
    quarter = datetime(2026, 11, 30, 10, 15, tzinfo=UTC)
    assert queries.listing_version({}, quarter) == queries.listing_version(
        {}, quarter + timedelta(minutes=14, seconds=59)
    )


def test_the_api_splits_the_same_way(client, listed):
    def slugs(query: str) -> set[str]:
        body = client.get(f"/api/v1/events?per_page=100{query}").get_json()
        return {item["slug"] for item in body["items"]}

    assert slugs("&when=past") == {"course-2015", "lemkin-2015", "held-2014", "cancelled-2015"}
    assert slugs("&when=upcoming") == {
        "coming-open",
        "coming-cancelled",
        "coming-planned",
        "ongoing",
    }
    assert slugs("&when=past&status=planned") == {"course-2015"}
    items = client.get("/api/v1/events?per_page=100").get_json()["items"]
    past = {item["slug"]: item["past"] for item in items}
    assert past["course-2015"] is True and past["coming-planned"] is False
    assert client.get("/api/v1/events?when=soon").status_code == 422


def test_the_demo_2015_plans_are_listed_as_past(client, seeded):
    """The demo loads the 2014 report's plans for 2015 as they were (planned, closed)."""
    upcoming, past = _sections(client.get("/events?lang=en").data.decode())
    past_cards = _cards(past)
    for slug in ("lemkin-c2-p2", "cl-policing-course-2015"):
        assert slug in past_cards and "Not recorded as carried out" in past_cards[slug]
        assert slug not in _cards(upcoming)
    coming = _listed(_cards(upcoming))  # cycle 3 and the Focal Points meeting, dated from today
    assert coming and all(event.start_date.year > 2015 for event in coming)


def _listed(cards: dict[str, str]) -> list[Event]:
    from sqlalchemy import select

    from lanet.extensions import db

    return list(db.session.scalars(select(Event).where(Event.slug.in_(cards))))
