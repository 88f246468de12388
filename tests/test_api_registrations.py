"""Registrations and invitations through the API: the same service as the pages, idempotent
creation, problem details for every refusal."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from lanet.extensions import db as _db
from lanet.mail.models import OutboxMessage
from lanet.registration.models import Invitation, Registration
from tests.fixtures.registration import run_import_jobs

PROBLEM = "application/problem+json"


def applicant(**values) -> dict:
    return {
        "first_name": "Ana",
        "last_name": "Pérez",
        "email": "ana@example.org",
        "country_code": "AR",
        "language": "es",
        "consent": True,
        **values,
    }


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def test_register_then_read_and_cancel_by_private_token(client, api_event):
    event = api_event("seminar", capacity=10)
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=applicant())
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    # Neither the person nor the private token: both go to the address's inbox only.
    assert body["status"] == "accepted" and set(body) == {"status", "detail"}
    assert count(OutboxMessage) == 1  # the confirmation, written with the registration
    message = _db.session.scalar(select(OutboxMessage))
    token = message.context["manage_url"].rsplit("/r/", 1)[1]

    read = client.get(f"/api/v1/registrations/{token}").get_json()
    assert read["status"] == "confirmed" and read["event"] == "seminar"
    assert read["person"]["email"] == "ana@example.org" and "manage_token" not in read

    cancelled = client.post(f"/api/v1/registrations/{token}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/registrations/{token}/cancel")
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"
    assert client.get("/api/v1/registrations/not-a-token").status_code == 404


def test_retry_with_the_same_idempotency_key_never_registers_twice(client, api_event):
    event = api_event("seminar", capacity=10)
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    url = f"/api/v1/events/{event.slug}/registrations"
    first = client.post(url, json=applicant(), headers=headers)
    second = client.post(url, json=applicant(), headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count(Registration) == 1 and count(OutboxMessage) == 1

    # the same key for another person is a client error, and changes nothing
    other = client.post(url, json=applicant(email="bea@example.org"), headers=headers)
    assert other.status_code == 422 and other.mimetype == PROBLEM
    assert other.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"
    assert count(Registration) == 1

    # without a key, a second attempt gets the same answer; the inbox gets the link again
    duplicate = client.post(url, json=applicant())
    assert duplicate.status_code == 202 and duplicate.get_json() == first.get_json()
    assert count(Registration) == 1 and count(OutboxMessage) == 2


def test_a_refusal_is_replayed_too(client, api_event):
    event = api_event("closed", status="closed")
    headers = {"Idempotency-Key": "k-1"}
    url = f"/api/v1/events/{event.slug}/registrations"
    first = client.post(url, json=applicant(), headers=headers)
    assert first.status_code == 409
    event.status = "open"
    _db.session.commit()
    second = client.post(url, json=applicant(), headers=headers)
    assert second.status_code == 409 and second.headers["Idempotent-Replayed"] == "true"
    assert count(Registration) == 0


def test_idempotency_keys_belong_to_their_caller(client, api_event, make_user, bearer):
    event = api_event("seminar", capacity=10)
    url = f"/api/v1/events/{event.slug}/registrations"
    headers = {"Idempotency-Key": "shared-key"}
    assert client.post(url, json=applicant(), headers=headers).status_code == 202
    staff = {**bearer(make_user("staff")), **headers}
    response = client.post(url, json=applicant(email="bea@example.org"), headers=staff)
    assert response.status_code == 202  # another caller's key space
    assert count(Registration) == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "ключ"])
def test_malformed_idempotency_key_is_400(client, api_event, key):
    event = api_event("seminar")
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json=applicant(),
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert count(Registration) == 0


@pytest.mark.parametrize(
    ("values", "field", "status"),
    [
        ({"email": "not-an-email"}, "email", 422),
        ({"consent": False}, "consent", 422),
        ({"first_name": "   "}, "first_name", 422),
        ({"country_code": "ZZ"}, "country_code", 422),
        ({"institution_id": 999}, "institution_id", 422),
        ({"role": "emperor"}, "role", 422),
        ({"language": "fr"}, "language", 422),
    ],
)
def test_bad_registrations_name_the_field_and_change_nothing(
    client, api_event, values, field, status
):
    event = api_event("seminar")
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=applicant(**values))
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM
    assert field in [p["name"] for p in response.get_json()["invalid_params"]]
    assert count(Registration) == 0 and count(OutboxMessage) == 0


def test_malformed_json_is_a_problem_not_a_crash(client, api_event):
    event = api_event("seminar")
    url = f"/api/v1/events/{event.slug}/registrations"
    for body, ctype in [("{", "application/json"), ("[]", "application/json"), ("x", "text/plain")]:
        response = client.post(url, data=body, content_type=ctype)
        assert 400 <= response.status_code < 500 and response.mimetype == PROBLEM
    assert count(Registration) == 0


def test_registration_lists_follow_the_permission_layer(client, api_event, make_user, bearer):
    event = api_event("seminar", capacity=10)
    url = f"/api/v1/events/{event.slug}/registrations"
    for n, country in enumerate(["AR", "AR", "BR"]):
        from tests.fixtures.api import api_country

        api_country(country)
        _db.session.commit()
        client.post(url, json=applicant(email=f"p{n}@example.org", country_code=country))

    assert client.get(url).status_code == 401
    organizer = bearer(make_user("organizer", event=event))
    body = client.get(url + "?per_page=2", headers=organizer).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert "manage_token" not in body["items"][0]
    page2 = client.get(url + "?per_page=2&page=2", headers=organizer).get_json()
    assert len({i["id"] for i in body["items"] + page2["items"]}) == 3

    focal_ar = bearer(make_user("focal_point", country="AR"))
    mine = client.get(url, headers=focal_ar).get_json()
    assert {i["person"]["country_code"] for i in mine["items"]} == {"AR"} and mine["total"] == 2
    assert client.get(url + "?country=BR", headers=focal_ar).status_code == 403

    stranger = bearer(make_user("organizer", event=api_event("other")))
    assert client.get(url, headers=stranger).status_code == 403
    assert client.get(url + "?status=bogus", headers=organizer).status_code == 422


def test_bulk_invitations_by_list_and_csv(client, api_event, make_user, bearer):
    event = api_event("seminar")
    url = f"/api/v1/events/{event.slug}/invitations"
    organizer = bearer(make_user("organizer", event=event))
    payload = {
        "invitees": [{"email": "a@example.org"}, {"email": "b@example.org", "language": "pt"}]
    }
    assert client.post(url, json=payload).status_code == 401
    outsider = bearer(make_user("organizer", event=api_event("other")))
    assert client.post(url, json=payload, headers=outsider).status_code == 403

    created = client.post(url, json=payload, headers=organizer)
    assert created.status_code == 201, created.get_json()
    assert [i["state"] for i in created.get_json()["created"]] == ["invited", "invited"]

    csv_text = "email,language\nb@example.org,pt\nc@example.org,en\n"
    queued = client.post(url + "/csv", json={"csv": csv_text}, headers=organizer)
    assert queued.status_code == 202  # a file is sent by a worker (docs/imports.md)
    run_import_jobs()
    again = client.get(queued.headers["Location"], headers=organizer).get_json()
    assert (again["status"], again["sent"], again["skipped"]) == ("done", 1, 1)
    assert again["skipped_by"] == {"invited": 1}

    bad_csv = client.post(
        url + "/csv", json={"csv": "email\nnot-an-email\nd@example.org,fr\n"}, headers=organizer
    )
    assert bad_csv.status_code == 422
    assert [p["name"] for p in bad_csv.get_json()["invalid_params"]] == ["csv[2]", "csv[3]"]
    # Text the csv module refuses outright (a bare CR) is a bad row too, not a crash.
    unreadable = client.post(url + "/csv", json={"csv": "e@example.org\rx,es\n"}, headers=organizer)
    assert unreadable.status_code == 422
    assert [p["name"] for p in unreadable.get_json()["invalid_params"]] == ["csv[1]"]
    empty = client.post(url, json={"invitees": []}, headers=organizer)
    assert empty.status_code == 422
    bad_email = client.post(url, json={"invitees": [{"email": "nope"}]}, headers=organizer)
    assert bad_email.get_json()["invalid_params"][0]["name"] == "invitees.0.email"
    assert count(Invitation) == 3

    listing = client.get(url, headers=organizer).get_json()
    assert listing["total"] == 3
    assert client.get(url, headers=outsider).status_code == 403


@pytest.mark.services
def test_simultaneous_retries_with_one_key_make_one_registration(app, client, api_event):
    """Six copies of the same request at once: one registration, one answer, the others
    either replay it or are told the first is still being handled (409)."""
    import threading

    event = api_event("seminar", capacity=10)
    url = f"/api/v1/events/{event.slug}/registrations"
    headers = {"Idempotency-Key": "timeout-retry"}
    barrier = threading.Barrier(6)
    answers: list[tuple[int, dict]] = []

    def send() -> None:
        own_client = app.test_client()
        barrier.wait()
        response = own_client.post(url, json=applicant(), headers=headers)
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 6
    assert {status for status, _ in answers} <= {202, 409}, answers
    created = [body for status, body in answers if status == 202]
    assert created and all(body == created[0] for body in created)
    # The service's own duplicate check would also answer 409; these must be the key's.
    waiting = [body for status, body in answers if status == 409]
    assert all(body["type"].endswith("/idempotency-key-in-use") for body in waiting), waiting
    late = client.post(url, json=applicant(), headers=headers)
    assert late.status_code == 202 and late.get_json() == created[0]
    _db.session.expire_all()
    assert count(Registration) == 1 and count(OutboxMessage) == 1


def test_the_api_is_exempt_from_csrf_but_the_pages_are_not(app, client, api_event):
    event = api_event("seminar", capacity=10)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/api/v1/events/{event.slug}/registrations", json=applicant())
        assert response.status_code == 202
        page = client.post("/login", data={"email": "a@b.org", "password": "x"})
        assert page.status_code == 400  # the page still wants its CSRF token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
