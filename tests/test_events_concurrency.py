"""Editing capacity while 100 registrations arrive never overbooks (PostgreSQL, live gunicorn).

An organizer keeps setting the tightest capacity the event allows (what is confirmed, plus
the seats the quotas reserve) and raising it again, through the API, while 100 people
register through the public form. Both runs serve the same algorithm from
`tests.apps.edit_race_app`; only the one test switch `EVENT_EDIT_LOCK_DISABLED_FOR_TESTS`
differs. Without the lock the edit decides on counts that registrations change meanwhile:
the database refuses the capacity (a server error) or the quotas lose seats they reserve.
With the lock (the row lock seat-taking holds) every edit sees the numbers as they are.
"""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lanet.events.models import Event, EventQuota
from lanet.registration.models import Registration
from tests.fixtures.accounts import create_user
from tests.fixtures.api import bearer_headers
from tests.processes import start_gunicorn
from tests.storm import registration_forms, storm

pytestmark = [pytest.mark.services, pytest.mark.slow]

CAPACITY = 60
QUOTAS = {"AR": 6, "BR": 6}
COUNTRIES = ["AR", "BR", "MX", "CO", "PE"]
APPLICANTS = 100
CLIENTS = 15
EDITS = 16
# Seats above what the editor saw taken, so the tight capacity is still valid when the server
# reads the event. With the lock, the edit waits for the event's row behind the registrations
# already queued for it (up to CLIENTS), and each of those may take a seat first: with the
# one-statement seat step they do so fast enough that 6 was often exceeded (every edit 422).
MARGIN = CLIENTS + 1


@pytest.fixture()
def server_env(service_env, on_postgres):
    if not on_postgres:
        pytest.skip("needs PostgreSQL: run with LANET_TEST_DB=postgres")
    return {**service_env, "WTF_CSRF_ENABLED": "0", "RATELIMIT_ENABLED": "0"}


def _call(url: str, method: str, path: str, headers: dict, body: dict | None = None):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(
            method, path, body=payload, headers={**headers, "Content-Type": "application/json"}
        )
        response = connection.getresponse()
        content = response.read()
        is_json = "json" in (response.getheader("Content-Type") or "")
        return response.status, json.loads(content) if is_json and content else None
    finally:
        connection.close()


def _editor(url: str, slug: str, headers: dict, done: threading.Event, answers: list) -> None:
    """Tightest capacity, then a few seats more (the waiting list takes them), and again,
    from the moment registrations are flowing."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not done.is_set():
        status, event = _call(url, "GET", f"/api/v1/events/{slug}", headers)
        if status == 200 and event["seats_confirmed"] >= 5:
            break
        time.sleep(0.05)
    for number in range(EDITS):
        if done.is_set() and number >= 4:
            break
        status, event = _call(url, "GET", f"/api/v1/events/{slug}", headers)
        if status != 200:
            answers.append(status)
            continue
        quota_taken = sum(q["seats_confirmed"] for q in event["quotas"])
        outside = event["seats_confirmed"] - quota_taken
        # A capacity a little above what is taken now: valid when the edit reads the event.
        tight = max(event["seats_confirmed"], outside + sum(QUOTAS.values())) + MARGIN
        capacity = tight if number % 2 == 0 else min(tight + 4, CAPACITY)
        status, _body = _call(
            url,
            "PUT",
            f"/api/v1/events/{slug}/seats",
            headers,
            {"capacity": capacity, "quotas": QUOTAS},
        )
        answers.append(status)


def _run(env, log, event, headers, prefix, lock):
    server, url = start_gunicorn(
        env, log, workers=3, threads=8, app=f"tests.apps:edit_race_app({lock!r})"
    )
    done = threading.Event()
    edits: list[int] = []
    editor = threading.Thread(target=_editor, args=(url, event.slug, headers, done, edits))
    try:
        for _ in range(12):  # every worker has served a page before the storm
            _call(url, "GET", f"/events/{event.slug}/register", {})
        editor.start()
        result = storm(
            url,
            f"/events/{event.slug}/register",
            registration_forms(APPLICANTS, COUNTRIES, prefix),
            CLIENTS,
        )
        done.set()
        editor.join(timeout=120)
        return result, edits
    finally:
        done.set()
        server.kill(signal.SIGQUIT)
        server.stop()


def _state(db, event_id):
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    # A seat is held by a confirmed registration or by an open waiting-list offer.
    confirmed = (Registration.status == "confirmed") | (
        (Registration.status == "waitlisted") & Registration.offer_expires_at.is_not(None)
    )
    counted = db.session.scalar(
        select(func.count()).where(Registration.event_id == event_id, confirmed)
    )
    per_quota = dict(
        db.session.execute(
            select(Registration.seat_country_code, func.count())
            .where(Registration.event_id == event_id, confirmed)
            .group_by(Registration.seat_country_code)
        ).all()
    )
    counters = dict(
        db.session.execute(
            select(EventQuota.country_code, EventQuota.seats_confirmed).where(
                EventQuota.event_id == event_id
            )
        ).all()
    )
    outside = per_quota.get(None, 0)
    return {
        # The quotas' totals on the event's row (migration 0014) against their sums.
        "quota_totals": (event.quota_seats, event.quota_seats_confirmed),
        "quota_sums": (sum(QUOTAS.values()), sum(counters.values())),
        "capacity": event.capacity,
        "confirmed": counted,
        "counter": event.seats_confirmed,
        "outside": outside,
        "per_quota": per_quota,
        "quota_counters": counters,
        "quota_seats_lost": max(0, outside + sum(QUOTAS.values()) - event.capacity),
    }


def _world(make_event):
    event = make_event(capacity=CAPACITY, quotas=QUOTAS, slug="edit-race")
    headers = bearer_headers(create_user("staff"), "editor")
    return event, headers


def test_control_without_the_edit_lock_shows_the_race(db, make_event, server_env, tmp_path):
    event, headers = _world(make_event)
    result, edits = _run(server_env, tmp_path / "control.log", event, headers, "control", "off")
    state = _state(db, event.id)
    print(
        f"control: {result.wall_seconds:.1f}s, registrations {result.statuses}, edits {edits},"
        f" state {state}"
    )
    refused = [
        line
        for line in (tmp_path / "control.log").read_text().splitlines()
        if "ck_events_seats_within_capacity" in line
    ]
    print(f"control: the database refused {len(refused)} capacity writes: {refused[:1]}")
    server_errors = sum(1 for status in edits if status >= 500)
    # Without the lock, an edit checked against numbers that changed before it wrote: the
    # database refuses it (CHECK seats_confirmed <= capacity, answered as an error), or the
    # capacity it wrote leaves the quotas fewer seats than they reserve.
    assert (server_errors > 0 and refused) or state["quota_seats_lost"] > 0


def test_capacity_edits_during_100_registrations_never_overbook(
    db, make_event, server_env, artifacts
):
    event, headers = _world(make_event)
    log = artifacts / "events-capacity-edit-storm.log"
    result, edits = _run(server_env, log, event, headers, "locked", "on")
    state = _state(db, event.id)
    print(
        f"locked: {result.wall_seconds:.1f}s, registrations {result.statuses}, edits {edits},"
        f" state {state}"
    )
    assert result.statuses == {302: APPLICANTS}, "every registration answered with a redirect"
    assert all(status in (200, 422) for status in edits), edits
    assert edits.count(200) >= 2, "some edits went through"
    assert state["confirmed"] == state["counter"] <= state["capacity"]
    assert state["quota_seats_lost"] == 0
    assert state["quota_totals"] == state["quota_sums"]
    for country, seats in QUOTAS.items():
        assert state["per_quota"].get(country, 0) == state["quota_counters"][country] <= seats
