"""Constant query counts of the pages (issue 16): the number of SQL statements a page costs
does not grow with what it shows (no N+1). Page cache off in tests."""

from __future__ import annotations

from tests.fixtures.registration import create_open_event
from tests.test_statement_counts import counted


def _events(count: int, start: int) -> None:
    for number in range(start, start + count):
        create_open_event(slug=f"listed-{number}", quotas={"AR": 2})


def _statements(client, path: str) -> int:
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_event_list_query_count_does_not_grow_with_events(fresh_client, db) -> None:
    _events(10, 0)
    _statements(fresh_client, "/events?lang=en")  # warm caches
    ten = _statements(fresh_client, "/events?lang=en")
    _events(40, 10)
    fifty = _statements(fresh_client, "/events?lang=en")
    print(f"\nevent list: {ten} statements with 10 events, {fifty} with 50")
    assert fifty == ten == 1  # was 5 before the cards were read as plain rows


def _published(event, count: int, first: int = 0) -> None:
    from datetime import time, timedelta

    from lanet.agenda import service as agenda

    for number in range(first, first + count):
        day = event.start_date + timedelta(days=number % 3)
        hour = 8 + number // 3 % 10
        agenda.add_item(
            event.id,
            agenda.ItemInput(
                "session", day, time(hour), time(hour, 45), f"Session {number}", room="Hall A"
            ),
        )
    agenda.publish(event.id)


def test_public_agenda_query_count_does_not_grow_with_items(fresh_client, db, agenda_event) -> None:
    """Two statements (the event, its published version) with 3 items and with 30."""
    event = agenda_event(days=3)
    path = f"/events/{event.slug}/agenda?lang=en"
    _published(event, 3)
    _statements(fresh_client, path)  # warm caches
    three = _statements(fresh_client, path)
    _published(event, 27, first=3)
    thirty = _statements(fresh_client, path)
    print(f"\nagenda: {three} statements with 3 items, {thirty} with 30")
    assert thirty == three == 2


def test_slug_urls_are_what_url_for_builds(app) -> None:
    """The list builds its events' addresses around one url_for call: the same addresses."""
    from flask import url_for

    from lanet.core.web import slug_urls

    slugs = ["mx-mechanisms-2014", "a1", "Ünïcode slug", "with space", "x%y", "lanet-slug-marker"]
    with app.test_request_context("/events"):
        built = slug_urls("events.event_page", slugs)
        assert built == {slug: url_for("events.event_page", slug=slug) for slug in slugs}
    with app.test_request_context("/events", base_url="http://localhost/lanet/"):
        assert slug_urls("events.event_page", ["abc"]) == {"abc": "/lanet/events/abc"}
