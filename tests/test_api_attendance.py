"""Agendas, check-in, totals and the annual report through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from lanet.agenda.models import AgendaVersion
from lanet.attendance.codes import check_in_code
from lanet.attendance.models import Attendance
from lanet.extensions import db as _db

PROBLEM = "application/problem+json"


def _register(client, event, email: str = "ana@example.org") -> dict:
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json={
            "first_name": "Ana",
            "last_name": "Pérez",
            "email": email,
            "country_code": "AR",
            "consent": True,
        },
    )
    # The API answers "check your inbox" (issue 14 item 1); the test reads the row itself.
    assert response.status_code == 202, response.get_json()
    from lanet.network.models import Person
    from lanet.registration.models import Registration

    registration = _db.session.scalar(
        select(Registration).join(Person).where(Person.email == email)
    )
    return {"id": registration.id}


def attendance_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Attendance))


def test_check_in_by_code_and_undo(client, api_event, make_user, bearer):
    event = api_event("seminar", capacity=10, start=date(2014, 9, 1), days=3)
    registration = _register(client, event)
    from lanet.registration.models import Registration

    code = check_in_code(_db.session.get(Registration, registration["id"]))
    url = f"/api/v1/events/{event.slug}/check-ins"
    body = {"code": code, "day": "2014-09-02"}

    assert client.post(url, json=body).status_code == 401
    stranger = bearer(make_user("organizer", event=api_event("other")))
    assert client.post(url, json=body, headers=stranger).status_code == 403
    organizer = bearer(make_user("organizer", event=event))

    first = client.post(url, json=body, headers=organizer)
    assert first.status_code == 201, first.get_json()
    recorded = first.get_json()
    assert recorded["day"] == "2014-09-02" and recorded["already"] is False
    second = client.post(url, json=body, headers=organizer).get_json()
    assert second["already"] is True and second["attendance_id"] == recorded["attendance_id"]
    assert attendance_count() == 1

    outside = client.post(url, json={**body, "day": "2014-10-01"}, headers=organizer)
    assert outside.status_code == 409 and outside.mimetype == PROBLEM
    forged = client.post(url, json={**body, "code": code[:-2] + "XX"}, headers=organizer)
    assert forged.status_code == 409
    bad_day = client.post(url, json={**body, "day": "2014-02-30"}, headers=organizer)
    assert bad_day.status_code == 422
    assert bad_day.get_json()["invalid_params"][0]["name"] == "day"
    assert attendance_count() == 1

    undo_url = f"{url}/{recorded['attendance_id']}"
    assert client.delete(undo_url, headers=stranger).status_code == 403
    undone = client.delete(undo_url, headers=organizer)
    assert undone.status_code == 200 and undone.get_json()["undone"] is True
    assert attendance_count() == 0
    assert client.delete(undo_url, headers=organizer).status_code == 404


def test_check_in_by_registration_is_idempotent_with_a_key(client, api_event, make_user, bearer):
    event = api_event("seminar", capacity=10, start=date(2014, 9, 1), days=3)
    registration = _register(client, event)
    organizer = {**bearer(make_user("organizer", event=event)), "Idempotency-Key": "scan-1"}
    url = f"/api/v1/events/{event.slug}/check-ins/by-registration"
    body = {"registration_id": registration["id"], "day": "2014-09-01"}
    first = client.post(url, json=body, headers=organizer)
    replay = client.post(url, json=body, headers=organizer)
    assert first.status_code == replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert attendance_count() == 1


def test_published_and_draft_agendas(client, api_event, make_user, bearer):
    event = api_event("seminar")
    empty = client.get(f"/api/v1/events/{event.slug}/agenda").get_json()
    assert empty["version"] == 0 and empty["items"] == []
    _db.session.add(
        AgendaVersion(
            event_id=event.id,
            version=1,
            items=[
                {
                    "id": 7,
                    "kind": "session",
                    "starts_at": "2014-09-01T12:00:00+00:00",
                    "ends_at": "2014-09-01T13:30:00+00:00",
                    "title": "Opening",
                    "speakers": [{"name": "Ana Pérez", "affiliation": "AIPR"}],
                }
            ],
            published_at=datetime(2014, 8, 1, tzinfo=UTC),
        )
    )
    _db.session.commit()
    agenda = client.get(f"/api/v1/events/{event.slug}/agenda").get_json()
    assert agenda["version"] == 1 and agenda["timezone"] == event.timezone
    assert agenda["items"][0]["starts_at"] == "2014-09-01T12:00:00+00:00"
    assert agenda["items"][0]["speakers"] == ["Ana Pérez (AIPR)"]

    draft_url = f"/api/v1/events/{event.slug}/agenda/draft"
    assert client.get(draft_url).status_code == 401
    focal = bearer(make_user("focal_point", country="AR"))
    assert client.get(draft_url, headers=focal).status_code == 403
    organizer = bearer(make_user("organizer", event=event))
    assert client.get(draft_url, headers=organizer).get_json()["items"] == []


def test_totals_and_report_follow_the_permission_layer(client, make_user, bearer):
    url = "/api/v1/attendance/totals"
    assert client.get(url).status_code == 401
    staff = bearer(make_user("staff"))
    assert client.get(url + "?dimension=country&year=2014", headers=staff).get_json() == {
        "items": []
    }
    assert client.get(url + "?dimension=planet", headers=staff).status_code == 422
    focal = bearer(make_user("focal_point", country="AR"))
    assert client.get(url, headers=focal).status_code == 403
    assert client.get(url + "?country=ar", headers=focal).status_code == 200
    assert client.get(url + "?country=BR", headers=focal).status_code == 403

    report = client.get("/api/v1/reports/2014?lang=en", headers=staff)
    assert report.status_code == 200
    tables = report.get_json()["tables"]
    assert [t["key"] for t in tables] == ["seminars", "lemkin", "countries"]
    assert client.get("/api/v1/reports/2014", headers=focal).status_code == 403
    assert client.get("/api/v1/reports/2014?lang=fr", headers=staff).status_code == 422
