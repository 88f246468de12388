"""Event management through the API: the same services and checks as the pages; a refused
value is a 422 naming the field, and nothing is written."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lanet.core.audit import AuditEntry
from lanet.events.models import Cycle, Event, EventQuota, Series
from lanet.registration import service as registration
from tests.fixtures.registration import create_open_event, ensure_countries


def _body(**overrides) -> dict:
    start = date.today() + timedelta(days=100)
    body = {
        "kind": "lemkin_seminar",
        "slug": "lemkin-c3-p1",
        "title": "Raphael Lemkin Seminar, cycle 3, part 1",
        "title_translations": {"es": "Seminario Raphael Lemkin, ciclo 3, parte 1"},
        "country_code": "PL",
        "city": "Oświęcim",
        "timezone": "Europe/Warsaw",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=9)).isoformat(),
        "capacity": 30,
        "quotas": {"AR": 3, "BR": 3},
        "languages": ["es", "pt", "en"],
    }
    body.update(overrides)
    return body


def _counts(db) -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Event)),
        db.session.scalar(select(func.count()).select_from(EventQuota)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


@pytest.fixture()
def staff_headers(db, make_user, bearer):
    ensure_countries("AR", "BR", "PL", "MX", "CO", "PE", "CL")
    return bearer(make_user("staff"))


def test_create_event_with_an_idempotency_key(client, db, staff_headers):
    headers = {**staff_headers, "Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/v1/events", json=_body(), headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["status"] == "planned"
    assert {q["country_code"]: q["seats"] for q in first.json["quotas"]} == {"AR": 3, "BR": 3}
    again = client.post("/api/v1/events", json=_body(), headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_timezone_is_proposed_from_the_country_when_left_out(client, db, staff_headers):
    body = _body()
    del body["timezone"]
    response = client.post("/api/v1/events", json=body, headers=staff_headers)
    assert response.status_code == 201
    assert response.json["timezone"] == "Europe/Warsaw"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"end_date": (date.today() + timedelta(days=50)).isoformat()}, "end_date"),
        (
            {"registration_closes_at": (datetime.now(UTC) + timedelta(days=200)).isoformat()},
            "registration_closes_at",
        ),
        ({"quotas": {"AR": 20, "BR": 20}}, "quotas"),
        ({"country_code": "ZZ"}, "country_code"),
        ({"series": "no-such-series", "cycle": 1, "part": 1}, "series"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, db, staff_headers, overrides, field):
    before = _counts(db)
    response = client.post("/api/v1/events", json=_body(**overrides), headers=staff_headers)
    assert response.status_code == 422, response.json
    assert field in [p["name"] for p in response.json["invalid_params"]]
    assert _counts(db) == before


def test_duplicate_slug_is_a_422(client, db, staff_headers):
    assert client.post("/api/v1/events", json=_body(), headers=staff_headers).status_code == 201
    before = _counts(db)
    response = client.post("/api/v1/events", json=_body(), headers=staff_headers)
    assert response.status_code == 422
    assert [p["name"] for p in response.json["invalid_params"]] == ["slug"]
    assert _counts(db) == before


def _register(event, number, country="MX"):
    return registration.register(
        event.id,
        registration.Applicant(
            first_name="Ana",
            last_name=f"Pérez {number}",
            email=f"ana{number}@example.org",
            country_code=country,
            new_institution_name="Ministerio",
            consent=True,
        ),
    )


def test_capacity_below_confirmed_is_a_422_with_the_numbers(client, db, staff_headers):
    event = create_open_event(capacity=5)
    for number in range(3):
        _register(event, number)
    before = _counts(db)
    response = client.put(
        f"/api/v1/events/{event.slug}/seats",
        json={"capacity": 2, "quotas": {}},
        headers=staff_headers,
    )
    assert response.status_code == 422
    (problem,) = response.json["invalid_params"]
    assert problem["name"] == "capacity" and "2" in problem["reason"] and "3" in problem["reason"]
    assert _counts(db) == before
    response = client.patch(
        f"/api/v1/events/{event.slug}", json={"capacity": 2}, headers=staff_headers
    )
    assert response.status_code == 422
    ok = client.patch(f"/api/v1/events/{event.slug}", json={"capacity": 8}, headers=staff_headers)
    assert ok.status_code == 200 and ok.json["capacity"] == 8


def test_patch_cannot_move_dates(client, db, staff_headers):
    event = create_open_event(capacity=5)
    response = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"start_date": (event.start_date + timedelta(days=1)).isoformat()},
        headers=staff_headers,
    )
    assert response.status_code == 422
    assert response.json["invalid_params"][0]["name"] == "start_date"


def test_move_and_cancel(client, db, staff_headers, app):
    event = create_open_event(capacity=5)
    _register(event, 1)
    new_start = event.start_date + timedelta(days=1)
    moved = client.post(
        f"/api/v1/events/{event.slug}/move",
        json={
            "start_date": new_start.isoformat(),
            "end_date": (new_start + timedelta(days=2)).isoformat(),
        },
        headers=staff_headers,
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["start_date"] == new_start.isoformat()
    refused = client.post(
        f"/api/v1/events/{event.slug}/cancel", json={"reason": {}}, headers=staff_headers
    )
    assert refused.status_code == 422
    cancelled = client.post(
        f"/api/v1/events/{event.slug}/cancel",
        json={"reason": {"es": "Sin sede.", "en": "No venue."}},
        headers=staff_headers,
    )
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancellation_reason"] == {"es": "Sin sede.", "en": "No venue."}
    again = client.post(
        f"/api/v1/events/{event.slug}/cancel",
        json={"reason": {"en": "Again."}},
        headers=staff_headers,
    )
    assert again.status_code == 409


def test_a_past_event_cannot_be_opened(client, db, staff_headers):
    event = create_open_event(status="planned", start=date(2015, 5, 4))
    response = client.post(
        f"/api/v1/events/{event.slug}/status", json={"action": "open"}, headers=staff_headers
    )
    assert response.status_code == 422
    assert response.json["invalid_params"][0]["name"] == "status"


def test_series_cycles_and_parts(client, db, staff_headers):
    created = client.post(
        "/api/v1/series",
        json={"code": "lemkin-la", "names": {"en": "Lemkin"}, "parts_per_cycle": 2},
        headers=staff_headers,
    )
    assert created.status_code == 201
    for expected in (1, 2):
        cycle = client.post("/api/v1/series/lemkin-la/cycles", headers=staff_headers)
        assert cycle.status_code == 201 and cycle.json["number"] == expected
    part = client.post(
        "/api/v1/events",
        json=_body(series="lemkin-la", cycle=2, part=1),
        headers=staff_headers,
    )
    assert part.status_code == 201
    assert part.json["cycle"] == {"series": "lemkin-la", "number": 2}
    clash = client.post(
        "/api/v1/events",
        json=_body(slug="other", series="lemkin-la", cycle=2, part=1),
        headers=staff_headers,
    )
    assert clash.status_code == 422 and clash.json["invalid_params"][0]["name"] == "part"
    listed = client.get("/api/v1/series/lemkin-la").json
    assert [c["number"] for c in listed["cycles"]] == [1, 2]
    assert listed["cycles"][1]["parts"][0]["slug"] == "lemkin-c3-p1"
    assert db.session.scalar(select(func.count()).select_from(Cycle)) == 2
    assert db.session.scalar(select(Series.code)) == "lemkin-la"


def test_organizer_creates_only_inside_their_series(client, db, make_user, bearer):
    ensure_countries("AR", "BR", "PL")
    series = Series(code="lemkin-la", name_translations={"en": "Lemkin"}, parts_per_cycle=2)
    cycle = Cycle(series=series, number=2)
    db.session.add_all([series, cycle])
    db.session.commit()
    part_one = create_open_event(cycle_id=cycle.id, part_number=1)
    organizer = make_user("organizer", event=part_one)
    headers = bearer(organizer)
    outside = client.post("/api/v1/events", json=_body(), headers=headers)
    assert outside.status_code == 403
    inside = client.post(
        "/api/v1/events",
        json=_body(slug="lemkin-c2-p2", series="lemkin-la", cycle=2, part=2),
        headers=headers,
    )
    assert inside.status_code == 201
    organizers = client.get("/api/v1/events/lemkin-c2-p2/organizers", headers=headers).json
    assert [o["email"] for o in organizers] == [organizer.email]


def test_the_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"post"} <= set(paths["/api/v1/events"])
    assert {"patch"} <= set(paths["/api/v1/events/{slug}"])
    for path, method in [
        ("/api/v1/events/{slug}/seats", "put"),
        ("/api/v1/events/{slug}/move", "post"),
        ("/api/v1/events/{slug}/cancel", "post"),
        ("/api/v1/events/{slug}/status", "post"),
        ("/api/v1/events/{slug}/organizers", "post"),
        ("/api/v1/events/{slug}/organizers/{user_id}", "delete"),
        ("/api/v1/series", "post"),
        ("/api/v1/series/{code}/cycles", "post"),
    ]:
        assert method in paths[path], path
    parameters = paths["/api/v1/events"]["post"]["parameters"]
    assert "Idempotency-Key" in [p["name"] for p in parameters]


def test_staff_issue_a_token_shown_once_and_revoke_it(client, db, make_user, login):
    from lanet.accounts.models import ApiToken

    staff = make_user("staff")
    holder = make_user("organizer", event=create_open_event())
    login(client, staff)
    page = client.get("/staff/api-tokens?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    expires = date.today() + timedelta(days=30)
    issued = client.post(
        "/staff/api-tokens?lang=en",
        data={"user_id": holder.id, "name": "ministry sync", "expires_on": expires.isoformat()},
    )
    assert issued.status_code == 200
    html = issued.data.decode()
    plain = html.split("data-token>", 1)[1].split("<", 1)[0]
    assert plain.startswith("lanet_")
    token = db.session.scalar(select(ApiToken))
    assert token.name == "ministry sync" and token.expires_at.date() == expires
    assert plain not in client.get("/staff/api-tokens").data.decode()  # shown once
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    past = client.post(
        "/staff/api-tokens?lang=en",
        data={"user_id": holder.id, "name": "old", "expires_on": "2015-01-01"},
    )
    assert past.status_code == 422 and b"after today" in past.data
    client.post(f"/staff/api-tokens/{token.id}/revoke")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_expired_token_is_refused(client, db, make_user):
    from lanet.api.tokens import issue_token

    user = make_user("staff")
    token, plain = issue_token(user.id, "soon", datetime.now(UTC) + timedelta(minutes=1))
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


# --- every field the API edits is audited ------------------------------------------------------

# A new value for each field PATCH /events/{slug} takes, and the audit key it must show under.
# The schedule fields change only through move (a 422 on PATCH) and are audited as the others.
_PATCHES = {
    "kind": ({"kind": "workshop"}, "kind"),
    "slug": ({"slug": "renamed-seminar"}, "slug"),
    "title": ({"title": "Another title"}, "title"),
    "title_translations": ({"title_translations": {"pt": "Outro título"}}, "title_translations"),
    "description_translations": (
        {"description_translations": {"en": "What it is about"}},
        "description_translations",
    ),
    "audience_translations": ({"audience_translations": {"en": "Judges"}}, "audience_translations"),
    "attendance_mode": ({"attendance_mode": "online"}, "attendance_mode"),
    "venue": ({"venue": "Palacio San Martín"}, "venue"),
    "city": ({"city": "Rosario"}, "city"),
    "country_code": ({"country_code": "BR"}, "country_code"),
    "online_url": (
        {"attendance_mode": "hybrid", "online_url": "https://meet.example.org/lemkin"},
        "online_url",
    ),
    "capacity": ({"capacity": 40}, "capacity"),
    "quotas": ({"quotas": {"AR": 4}}, "quotas"),
    "registration_opens_at": ({"registration_opens_at": "OPENS"}, "registration_opens_at"),
    "registration_closes_at": ({"registration_closes_at": "CLOSES"}, "registration_closes_at"),
    "requires_approval": ({"requires_approval": True}, "requires_approval"),
    "languages": ({"languages": ["en"]}, "languages"),
    "is_public": ({"is_public": False}, "is_public"),
    "supporters": ({"supporters": "INSTITUTION"}, "supporters"),
    "series": ({"series": "lemkin-la", "cycle": 1, "part": 2}, "cycle_id"),
    "cycle": ({"series": "lemkin-la", "cycle": 1, "part": 2}, "cycle_id"),
    "part": ({"series": "lemkin-la", "cycle": 1, "part": 2}, "part_number"),
}
_MOVED_ONLY = {
    "timezone": "timezone",
    "start_date": "start_date",
    "end_date": "end_date",
    "start_time": "starts_at",
    "end_time": "ends_at",
}


def test_every_field_the_api_edits_has_its_audit_key():
    """One list (`validation.EDITABLE_FIELDS`) serves the API and the audit log: each field of
    the API's event body is an editable field, and each editable field has its audit key."""
    from lanet.api.manage_events import EventCreateSchema, EventWriteSchema
    from lanet.events import editing, validation

    api_names = {"series": "cycle_id", "cycle": "cycle_id", "part": "part_number"}
    write_fields = set(EventWriteSchema().fields)
    assert write_fields == set(_PATCHES) | set(_MOVED_ONLY)
    assert set(EventCreateSchema().fields) - write_fields == {"copy_from", "organizers"}
    for name in write_fields:
        assert api_names.get(name, name) in validation.EDITABLE_FIELDS, name
    audited = set(editing.AUDITED)
    for name in validation.EDITABLE_FIELDS:
        assert validation.audited_as(name) in audited, name
    assert {key for _patch, key in _PATCHES.values()} | set(_MOVED_ONLY.values()) <= audited


@pytest.mark.parametrize("field", sorted(_PATCHES))
def test_each_api_edit_is_in_the_audit_log(client, db, staff_headers, field):
    from lanet.network.models import Institution

    client.post(
        "/api/v1/series",
        json={"code": "lemkin-la", "names": {"en": "Lemkin"}, "parts_per_cycle": 2},
        headers=staff_headers,
    )
    client.post("/api/v1/series/lemkin-la/cycles", headers=staff_headers)
    institution = Institution(name="Ministerio de Justicia", country_code="AR", kind="ombudsman")
    db.session.add(institution)
    db.session.commit()
    event = create_open_event(quotas={"AR": 2})
    now = datetime.now(UTC).replace(microsecond=0)
    values = {
        "OPENS": (now + timedelta(days=1)).isoformat(),
        "CLOSES": (now + timedelta(days=5)).isoformat(),
        "INSTITUTION": [institution.id],
    }
    patch, key = _PATCHES[field]
    body = {name: values.get(value, value) if isinstance(value, str) else value
            for name, value in patch.items()}  # fmt: skip
    response = client.patch(f"/api/v1/events/{event.slug}", json=body, headers=staff_headers)
    assert response.status_code == 200, response.json
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "event.updated", AuditEntry.event_id == event.id)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and key in entry.changes["after"], entry and entry.changes


@pytest.mark.parametrize("field", sorted(_MOVED_ONLY))
def test_the_schedule_is_audited_when_an_event_is_created(client, db, staff_headers, field):
    response = client.post(
        "/api/v1/events",
        json=_body(start_time="09:00:00", end_time="17:00:00"),
        headers=staff_headers,
    )
    assert response.status_code == 201, response.json
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.created"))
    assert entry.changes["after"][_MOVED_ONLY[field]] is not None
