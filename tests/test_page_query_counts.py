"""Constant query counts of the public event list (issue 16): the number of SQL statements a
page costs does not grow with the number of events shown (no N+1). Page cache off in tests."""

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
    assert fifty == ten
