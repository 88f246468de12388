"""The workspace pages: bad input re-renders the form with the field named, nothing written;
who sees what; the confirmation step before moving or cancelling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lanet.core.audit import AuditEntry
from lanet.events.models import Event
from lanet.registration import service as registration
from tests.fixtures.registration import create_open_event, ensure_countries


def _form(**overrides) -> dict:
    start = date.today() + timedelta(days=60)
    values = {
        "kind": "workshop",
        "title_en": "A workshop",
        "slug": "a-workshop",
        "attendance_mode": "in_person",
        "country_code": "AR",
        "timezone": "",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(),
        "capacity": "10",
        "quota-AR": "3",
        "languages": ["es", "en"],
        "is_public": "y",
    }
    values.update(overrides)
    return values


@pytest.fixture()
def staff_client(client, db, make_user, login):
    ensure_countries("AR", "BR", "PL", "MX", "CO", "PE", "CL")
    login(client, make_user("staff"))
    return client


def _counts(db):
    return (
        db.session.scalar(select(func.count()).select_from(Event)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def test_create_proposes_the_timezone_from_the_country(staff_client, db):
    response = staff_client.post("/manage/events/new", data=_form())
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.slug == "a-workshop"))
    assert event.timezone.startswith("America/") and event.status == "planned"


@pytest.mark.parametrize(
    ("overrides", "error_id", "words"),
    [
        ({"timezone": "Mars/Base"}, "timezone-error", "time zone"),
        ({"end_date": (date.today() + timedelta(days=10)).isoformat()}, "end_date-error", "end"),
        ({"quota-AR": "30"}, "quotas-error", "more than the capacity of 10"),
        ({"quota-AR": "three"}, "quotas-error", "whole number"),
        ({"country_code": "ZZ"}, "country_code-error", "country"),
        (
            {"registration_closes_at": (date.today() + timedelta(days=90)).isoformat() + "T10:00"},
            "registration_closes_at-error",
            "before the event starts",
        ),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(
    staff_client, db, overrides, error_id, words
):
    before = _counts(db)
    response = staff_client.post("/manage/events/new?lang=en", data=_form(**overrides))
    assert response.status_code == 422
    html = response.data.decode()
    assert f'id="{error_id}"' in html, html[-3000:]
    fragment = html.split(f'id="{error_id}"', 1)[1][:300]
    assert words in fragment
    assert _counts(db) == before


def test_duplicate_slug_is_a_field_error(staff_client, db):
    assert staff_client.post("/manage/events/new", data=_form()).status_code == 302
    before = _counts(db)
    response = staff_client.post("/manage/events/new?lang=en", data=_form())
    assert response.status_code == 422 and b'id="slug-error"' in response.data
    assert _counts(db) == before


def test_capacity_below_confirmed_on_the_edit_page(staff_client, db):
    event = create_open_event(capacity=5)
    for number in range(3):
        registration.register(
            event.id,
            registration.Applicant(
                first_name="Ana",
                last_name=f"P {number}",
                email=f"p{number}@example.org",
                country_code="MX",
                new_institution_name="Ministerio",
                consent=True,
            ),
        )
    page = staff_client.get(f"/manage/events/{event.slug}/edit?lang=en").data.decode()
    assert 'name="capacity"' in page
    form = {
        "kind": event.kind,
        "title_en": "Raphael Lemkin Seminar",
        "attendance_mode": "in_person",
        "country_code": "AR",
        "timezone": event.timezone,
        "start_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat(),
        "capacity": "2",
        "languages": ["es"],
    }
    before = _counts(db)
    response = staff_client.post(f"/manage/events/{event.slug}/edit?lang=en", data=form)
    assert response.status_code == 422
    assert "3 seats are already confirmed" in response.data.decode()
    assert _counts(db) == before


def test_move_and_cancel_ask_for_confirmation_first(staff_client, db):
    event = create_open_event(capacity=5)
    new_start = event.start_date + timedelta(days=1)
    dates = {"start_date": new_start.isoformat(), "end_date": event.end_date.isoformat()}
    first = staff_client.post(f"/manage/events/{event.slug}/move?lang=en", data=dates)
    assert first.status_code == 200 and b'data-confirm="move"' in first.data
    db.session.expire_all()
    assert db.session.get(Event, event.id).start_date == event.start_date  # not yet
    done = staff_client.post(f"/manage/events/{event.slug}/move", data={**dates, "confirm": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).start_date == new_start
    reason = {"reason_en": "No venue."}
    asked = staff_client.post(f"/manage/events/{event.slug}/cancel?lang=en", data=reason)
    assert b'data-confirm="cancel"' in asked.data
    staff_client.post(f"/manage/events/{event.slug}/cancel", data={**reason, "confirm": "1"})
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "cancelled"
    public = staff_client.get(f"/events/{event.slug}?lang=en")
    assert public.status_code == 200 and b"No venue." in public.data


def test_workspace_shows_each_role_its_events(client, db, make_user, login):
    ensure_countries("AR", "BR")
    mine = create_open_event(capacity=5, slug="mine")
    create_open_event(capacity=5, slug="theirs", status="held", start=date(2014, 5, 5))
    login(client, make_user("organizer", event=mine))
    page = client.get("/manage/events").data.decode()
    assert 'data-event="mine"' in page and 'data-event="theirs"' not in page
    client.get("/logout")
    login(client, make_user("focal_point", country="BR"))
    page = client.get("/manage/events").data.decode()
    assert 'data-event="mine"' in page  # forthcoming and public: open to every country
    assert 'data-event="theirs"' not in page
