"""The seat lock is held only for the seat step and waited for only briefly: with the event's
row lock held by another connection, a registration answers "busy, try again" (API 503 with
Retry-After, the form re-rendered with a flash and 503), writes nothing, and goes through once
the lock is free (issue 16). PostgreSQL only: SQLite has no row locks or lock_timeout."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from lanet.extensions import db as _db
from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from lanet.registration.models import Registration


@pytest.fixture()
def short_lock_timeout(app, on_postgres) -> Iterator[None]:
    if not on_postgres:
        pytest.skip("needs PostgreSQL: run with LANET_TEST_DB=postgres")
    before = app.config["SEAT_LOCK_TIMEOUT_MS"]
    app.config["SEAT_LOCK_TIMEOUT_MS"] = 200
    yield
    app.config["SEAT_LOCK_TIMEOUT_MS"] = before


@contextlib.contextmanager
def event_locked(event_id: int) -> Iterator[None]:
    """Another connection holds the event's row lock, as a long seat step elsewhere would."""
    with _db.engine.connect() as other:
        other.execute(
            text("SELECT id FROM events WHERE id = :id FOR NO KEY UPDATE"), {"id": event_id}
        )
        try:
            yield
        finally:
            other.rollback()


def _counts() -> tuple[int, int, int]:
    _db.session.expire_all()
    return tuple(
        _db.session.scalar(select(func.count()).select_from(model))
        for model in (Registration, Person, OutboxMessage)
    )


def test_api_answers_busy_with_retry_after_while_the_seat_lock_is_held(
    client, make_event, short_lock_timeout
):
    event = make_event(capacity=10)
    body = {
        "first_name": "Ana",
        "last_name": "Busy",
        "email": "ana.busy@example.org",
        "country_code": "AR",
        "language": "en",
        "consent": True,
    }
    url = f"/api/v1/events/{event.slug}/registrations"
    with event_locked(event.id):
        busy = client.post(url, json=body, headers={"Accept-Language": "en"})
    assert busy.status_code == 503, busy.get_json()
    assert busy.headers["Retry-After"] == "2"
    assert busy.content_type == "application/problem+json"
    assert "try again" in busy.get_json()["detail"]
    assert _counts() == (0, 0, 0)  # nothing written

    again = client.post(url, json=body)  # the lock is free: the same request goes through
    assert again.status_code == 202, again.get_json()  # the answer says nothing of the person
    assert _counts() == (1, 1, 1)
    assert _db.session.scalar(select(Registration.status)) == "confirmed"


def test_form_flashes_busy_and_keeps_the_values_while_the_seat_lock_is_held(
    fresh_client, make_event, applicant, short_lock_timeout
):
    event = make_event(capacity=10)
    values = applicant(language="en")
    with event_locked(event.id):
        busy = fresh_client.post(f"/events/{event.slug}/register?lang=en", data=values)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    assert "Many people are registering for this event right now" in busy.text
    assert values["email"] in busy.text  # the form comes back filled in
    assert _counts() == (0, 0, 0)

    again = fresh_client.post(f"/events/{event.slug}/register?lang=en", data=values)
    assert again.status_code == 302
    assert _counts() == (1, 1, 1)
