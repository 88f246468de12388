"""The foundation: database invariants, migrations, health, pages and the Celery wiring."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from lanet.events.models import Event, EventQuota
from lanet.network.models import Country, Person
from lanet.registration.models import Registration

ROOT = Path(__file__).resolve().parent.parent


def _country(db, code="AR") -> Country:
    country = Country(code=code, name_es=code, name_pt=code, name_en=code, membership="member")
    db.session.add(country)
    db.session.flush()
    return country


def _event(db, **values) -> Event:
    fields = {
        "slug": "test-event",
        "kind": "workshop",
        "title": "Test workshop",
        "timezone": "America/Argentina/Buenos_Aires",
        "start_date": date(2014, 10, 28),
        "end_date": date(2014, 10, 30),
    }
    fields.update(values)
    event = Event(**fields)
    db.session.add(event)
    db.session.flush()
    return event


def _person(db, email="ana@example.org") -> Person:
    person = Person(first_name="Ana", last_name="Pérez", email=email)
    db.session.add(person)
    db.session.flush()
    return person


def _violates(db, statement: str, **params) -> None:
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text(statement), params)


def test_end_before_start_is_refused_by_the_database(db):
    event = _event(db)
    _violates(db, "UPDATE events SET end_date = '2014-10-01' WHERE id = :id", id=event.id)


def test_confirmed_seats_cannot_exceed_capacity_in_the_database(db):
    event = _event(db, capacity=2, seats_confirmed=2)
    _violates(db, "UPDATE events SET seats_confirmed = 3 WHERE id = :id", id=event.id)


def test_quota_seats_cannot_exceed_the_quota_in_the_database(db):
    _country(db)
    event = _event(db)
    quota = EventQuota(event_id=event.id, country_code="AR", seats=1, seats_confirmed=1)
    db.session.add(quota)
    db.session.flush()
    _violates(db, "UPDATE event_quotas SET seats_confirmed = 2 WHERE id = :id", id=quota.id)


def test_one_registration_per_person_and_event(db):
    event, person = _event(db), _person(db)
    db.session.add(Registration(person_id=person.id, event_id=event.id))
    db.session.flush()
    _violates(
        db,
        "INSERT INTO registrations (person_id, event_id, role, status, token_nonce, token_hash,"
        " created_at, updated_at) VALUES (:p, :e, 'participant', 'pending', :n, :h, :now, :now)",
        p=person.id,
        e=event.id,
        n="b" * 22,
        h="b" * 64,
        now=datetime.now(UTC),
    )


def test_unknown_status_is_refused_by_the_database(db):
    event = _event(db)
    _violates(db, "UPDATE events SET status = 'maybe' WHERE id = :id", id=event.id)


def test_naive_datetimes_are_refused(db):
    event = _event(db)
    event.starts_at = datetime(2014, 10, 28, 9, 0)
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_times_come_back_aware_and_in_utc(db):
    local = datetime(2014, 10, 28, 9, 0, tzinfo=UTC) + timedelta(hours=-3)
    event = _event(db, starts_at=local, ends_at=local + timedelta(hours=8))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.starts_at.tzinfo is not None
    assert stored.starts_at == local


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


def test_unknown_page_is_a_clear_404(client):
    response = client.get("/events/no-such-event")
    assert response.status_code == 404
    assert b"Page not found" in response.data or "Página".encode() in response.data


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("query", "status"),
    [("year=abc", 200), ("country=<script>", 200), ("kind=' OR 1=1", 200), ("year=99999", 200)],
)
def test_malformed_filters_are_ignored_not_errors(client, query, status):
    assert client.get(f"/events?{query}").status_code == status


def test_docker_compose_defines_every_service_with_the_makefile_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "mailcatcher"} <= set(services)
    makefile = (ROOT / "Makefile").read_text()
    procfile = (ROOT / "Procfile.dev").read_text()

    def command(name: str) -> str:
        value = services[name]["command"]
        return value if isinstance(value, str) else " ".join(value)

    assert "gunicorn wsgi:app" in command("web")
    assert "celery -A workers worker" in command("worker")
    assert "celery -A workers beat" in command("beat")
    for plain in ("gunicorn wsgi:app", "celery -A workers worker", "celery -A workers beat"):
        assert plain in makefile and plain in procfile
    for step in ("flask --app wsgi db upgrade", "flask --app wsgi seed demo"):
        assert step in makefile
    assert "flask --app wsgi db upgrade" in str(compose)


def test_every_extra_manage_sh_installs_is_defined():
    """`./manage.sh run` installed `.[run]` while pyproject defined no such extra (pip warned
    "lanet 0.1.0 does not provide the extra 'run'"): each extra it asks for exists."""
    import re
    import tomllib

    root = Path(__file__).resolve().parent.parent
    asked = set(re.findall(r'^\s*setup "(\w+)"', (root / "manage.sh").read_text(), re.M))
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert asked == {"run", "test"}
    assert asked <= set(project["optional-dependencies"])
    # Procfile.dev runs under honcho, so the run extra brings it.
    assert any(d.startswith("honcho") for d in project["optional-dependencies"]["run"])
