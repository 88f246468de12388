"""The quotas' totals on the event's row (`events.quota_seats`, `events.quota_seats_confirmed`;
migration 0014) stay the sums of the event's quota rows however they change: seats taken and
given back (the seat step's own statements), quota edits (the ORM, summed again in the same
flush), and the migration's backfill of events that had quotas before the columns existed.
The seat step decides on those totals alone, so a total that drifts would give away or hold
back seats the quotas reserve."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, select, text

from lanet.events import editing
from lanet.events.models import Event, EventQuota
from lanet.events.validation import EventInvalid
from lanet.network.models import Person
from lanet.registration import service
from lanet.registration.models import Registration
from tests import services
from tests.test_migrations import _flask


def _totals(db, event_id: int) -> dict:
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    rows = db.session.execute(
        select(EventQuota.seats, EventQuota.seats_confirmed).where(EventQuota.event_id == event_id)
    ).all()
    return {
        "on the event": (event.quota_seats, event.quota_seats_confirmed),
        "summed": (sum(r.seats for r in rows), sum(r.seats_confirmed for r in rows)),
        "seats": event.seats_confirmed,
    }


def _register(event_id: int, number: int, country: str) -> Registration:
    return service.register(
        event_id,
        service.Applicant(
            first_name="Ana",
            last_name=f"Totals {number}",
            email=f"ana.totals{number}@example.org",
            country_code=country,
            consent=True,
        ),
    )


def _token(db, number: int) -> str:
    return db.session.scalar(
        select(Registration).join(Person).where(Person.email == f"ana.totals{number}@example.org")
    ).manage_token


def test_totals_follow_seats_taken_and_given_back(db, make_event):
    event_id = make_event(capacity=6, quotas={"AR": 2, "BR": 1}).id
    assert _totals(db, event_id)["on the event"] == (3, 0)
    statuses = [_register(event_id, n, c).status for n, c in enumerate(["AR", "AR", "AR", "CO"])]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "confirmed"]
    totals = _totals(db, event_id)
    assert totals["on the event"] == totals["summed"] == (3, 2)
    assert totals["seats"] == 3
    service.cancel_registration(_token(db, 0))  # an AR seat given back
    service.cancel_registration(_token(db, 3))  # an open seat given back
    totals = _totals(db, event_id)
    assert totals["on the event"] == totals["summed"]
    # (the waiting AR registrant may have been offered the freed AR seat meanwhile)
    assert totals["seats"] == totals["summed"][1]


def test_totals_follow_quota_edits(db, make_event):
    event_id = make_event(capacity=10, quotas={"AR": 3, "BR": 2}).id
    assert _register(event_id, 10, "AR").status == "confirmed"
    editing.set_capacity(event_id, 10, {"AR": 4, "MX": 2})  # AR changed, BR removed, MX added
    totals = _totals(db, event_id)
    assert totals["on the event"] == totals["summed"] == (6, 1)
    with pytest.raises(EventInvalid):  # AR's confirmed seat keeps its quota
        editing.set_capacity(event_id, 10, {})
    assert _totals(db, event_id)["on the event"] == (6, 1)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_migration_backfills_the_totals(backend, tmp_path, on_postgres):
    if backend == "postgres" and not on_postgres:
        pytest.skip("PostgreSQL run: LANET_TEST_DB=postgres")
    env = {"LANET_INSTANCE": str(tmp_path), "DATABASE_URL": ""}
    url = f"sqlite:///{tmp_path / 'lanet.sqlite3'}"
    name = None
    if backend == "postgres":
        import psycopg

        name = f"lanet_mig_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        plain = services.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        env["DATABASE_URL"] = plain
        url = plain.replace("postgresql://", "postgresql+psycopg://")
    try:
        _backfill(env, url)
    finally:
        if name:
            import psycopg

            with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _backfill(env: dict, url: str) -> None:
    before = _flask(env, "db", "upgrade", "0015_registration_counts")
    assert before.returncode == 0, before.stderr
    engine = create_engine(url)
    with engine.begin() as connection:
        for code in ("AR", "BR"):
            connection.execute(
                text(
                    "INSERT INTO countries (code, name_es, name_pt, name_en, membership)"
                    " VALUES (:code, :code, :code, :code, 'member')"
                ),
                {"code": code},
            )
        for slug, capacity, confirmed in (("with-quotas", 10, 4), ("without", 5, 2)):
            connection.execute(
                text(
                    "INSERT INTO events (slug, kind, title, title_translations,"
                    " description_translations, audience_translations, attendance_mode,"
                    " city_translations, timezone, start_date, end_date, date_precision, status,"
                    " is_public, languages, capacity, seats_confirmed, requires_approval,"
                    " sequence, agenda_version, created_at, updated_at) VALUES (:slug,"
                    " 'workshop', 't', '{}', '{}', '{}', 'in_person', '{}', 'UTC', '2027-01-01',"
                    " '2027-01-01', 'day', 'open', :yes, 'es', :capacity, :confirmed, :no, 0, 0,"
                    " :now, :now)"
                ),
                {
                    "slug": slug,
                    "capacity": capacity,
                    "confirmed": confirmed,
                    "yes": True,
                    "no": False,
                    "now": "2026-11-30 12:00:00+00:00",
                },
            )
        event_id = connection.execute(
            text("SELECT id FROM events WHERE slug = 'with-quotas'")
        ).scalar_one()
        for code, seats, confirmed in (("AR", 3, 2), ("BR", 2, 1)):
            connection.execute(
                text(
                    "INSERT INTO event_quotas (event_id, country_code, seats, seats_confirmed)"
                    " VALUES (:event, :code, :seats, :confirmed)"
                ),
                {"event": event_id, "code": code, "seats": seats, "confirmed": confirmed},
            )
    after = _flask(env, "db", "upgrade")
    assert after.returncode == 0, after.stderr
    with engine.connect() as connection:
        totals = {
            slug: (seats, confirmed)
            for slug, seats, confirmed in connection.execute(
                text("SELECT slug, quota_seats, quota_seats_confirmed FROM events")
            )
        }
    engine.dispose()
    assert totals == {"with-quotas": (5, 3), "without": (0, 0)}
    down = _flask(env, "db", "downgrade", "0015_registration_counts")
    assert down.returncode == 0, down.stderr
