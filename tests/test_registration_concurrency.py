"""Simultaneous registrations through a live gunicorn on PostgreSQL never overbook (pretix
style): first the control run with the seat lock off shows the race, then the real run.

Both runs serve the same algorithm from `tests.apps.seat_race_app`; only the one test switch
`SEAT_LOCK_DISABLED_FOR_TESTS` differs. Without the lock, the seat decision is made on counters
another request is about to change: the seats a country quota reserves go to other countries
(the pool outside the quotas is overbooked). The total stays within capacity even then: the
conditional UPDATEs and CHECK constraints in the database hold that line by themselves."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import func, select

from lanet.events.models import Event, EventQuota
from lanet.registration.models import Registration
from tests.processes import start_gunicorn
from tests.storm import registration_forms, storm

pytestmark = [pytest.mark.services, pytest.mark.slow]

CAPACITY = 10
QUOTAS = {"AR": 3, "BR": 3}
COUNTRIES = ["AR", "BR", "MX", "CO", "PE"]
APPLICANTS = 30
CLIENTS = 15


@pytest.fixture()
def server_env(service_env, on_postgres):
    if not on_postgres:
        pytest.skip("needs PostgreSQL: run with LANET_TEST_DB=postgres")
    return {**service_env, "WTF_CSRF_ENABLED": "0", "RATELIMIT_ENABLED": "0"}


def _applicants(prefix: str) -> list[dict]:
    """The applicants from countries without a quota first: the storm's first wave (CLIENTS)
    competes for the seats outside the quotas, the quotas' own applicants come after it. With
    the lock the reserved seats wait for them; without it the first wave overbooks its pool."""
    forms = registration_forms(APPLICANTS, COUNTRIES, prefix)
    return sorted(forms, key=lambda form: form["country"] in QUOTAS)


def _run_storm(env, log, event, prefix, lock):
    readers = log.with_suffix(".readers")
    app = f"tests.apps:seat_race_app({lock!r}, {str(readers)!r})"
    server, url = start_gunicorn(env, log, workers=3, threads=8, app=app)
    try:
        return storm(url, f"/events/{event.slug}/register", _applicants(prefix), CLIENTS)
    finally:
        server.kill(signal.SIGQUIT)  # gunicorn's quick shutdown: the storm is over
        server.stop()


def _outcome(db, event_id):
    db.session.expire_all()
    confirmed = Registration.status == "confirmed"
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    ).all()
    per_quota = dict(
        db.session.execute(
            select(Registration.seat_country_code, func.count())
            .where(Registration.event_id == event_id, confirmed)
            .group_by(Registration.seat_country_code)
        ).all()
    )
    return dict(rows), per_quota


def _overbooked(statuses, per_quota) -> dict[str, int]:
    """Seats confirmed beyond what each pool allows: the whole event, each quota, and the
    seats outside the quotas (capacity minus the seats the quotas reserve)."""
    general = CAPACITY - sum(QUOTAS.values())
    return {
        "event": max(statuses.get("confirmed", 0) - CAPACITY, 0),
        "quotas": sum(max(per_quota.get(c, 0) - seats, 0) for c, seats in QUOTAS.items()),
        "outside quotas": max(per_quota.get(None, 0) - general, 0),
    }


def test_control_without_the_lock_shows_the_race(db, make_event, server_env, tmp_path):
    event = make_event(capacity=CAPACITY, quotas=QUOTAS)
    result = _run_storm(server_env, tmp_path / "control.log", event, "control", "off")
    statuses, per_quota = _outcome(db, event.id)
    overbooked = _overbooked(statuses, per_quota)
    print(
        f"lock off: answers {result.statuses}, registrations {statuses}, "
        f"seats by quota {per_quota}, overbooked {overbooked}"
    )
    assert result.statuses == {302: APPLICANTS}
    # The race: seats reserved for AR and BR went to other countries.
    assert sum(overbooked.values()) > 0
    assert overbooked["outside quotas"] > 0
    assert statuses.get("confirmed", 0) <= CAPACITY  # the database's own guard held


def test_simultaneous_registrations_never_overbook(db, make_event, server_env, artifacts):
    event = make_event(capacity=CAPACITY, quotas=QUOTAS)
    log = artifacts / "registration-storm-locked.log"
    result = _run_storm(server_env, log, event, "locked", "on")
    statuses, per_quota = _outcome(db, event.id)
    print(
        f"lock on: {result.wall_seconds:.1f}s, answers {result.statuses}, registrations "
        f"{statuses}, seats by quota {per_quota}, overbooked {_overbooked(statuses, per_quota)}"
    )
    assert sum(_overbooked(statuses, per_quota).values()) == 0
    assert result.statuses == {302: APPLICANTS}, "every request answered with a redirect"
    assert statuses == {"confirmed": CAPACITY, "waitlisted": APPLICANTS - CAPACITY}
    for country, seats in QUOTAS.items():
        assert per_quota.get(country, 0) == seats  # 6 applicants each: every quota filled
    # The general seats went to the countries without a quota.
    assert per_quota.get(None, 0) == CAPACITY - sum(QUOTAS.values())
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.seats_confirmed == CAPACITY
    # The quotas' totals the seat step decides on (migration 0014) moved with the quotas.
    assert stored.quota_seats == stored.quota_seats_confirmed == sum(QUOTAS.values())
    counters = dict(
        db.session.execute(
            select(EventQuota.country_code, EventQuota.seats_confirmed).where(
                EventQuota.event_id == event.id
            )
        ).all()
    )
    assert counters == QUOTAS
