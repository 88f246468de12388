"""The JSON API v1 framework and its events: problem details, tokens, pagination, the document."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from lanet.accounts.models import ApiToken
from lanet.api import tokens
from lanet.extensions import db as _db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] and body["title"]
    return body


# --- the document ----------------------------------------------------------------------------


def test_problem_responses_documents_what_the_stack_of_alt_responses_did():
    """`problem_responses(blp, 403, 404, 422)` leaves the operation's documentation as the
    three `alt_response` decorators it replaced did, in the same order."""
    import flask_smorest

    from lanet.api.problems import problem_responses

    blp = flask_smorest.Blueprint("doc_check", __name__)

    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def stacked():
        return None

    @problem_responses(blp, 403, 404, 422)
    def helped():
        return None

    assert helped._apidoc == stacked._apidoc


def test_openapi_document_describes_every_operation(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/events" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    problem = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert list(problem) == [PROBLEM]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "429" in operation["responses"], (path, method)
            assert operation.get("summary"), (path, method)


def test_documentation_page_is_served_locally(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/docs/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
    assert "https://" not in html.split("<body")[0]  # nothing from a CDN
    script = client.get("/api/v1/docs/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.data) > 100_000
    assert client.get("/api/v1/docs/swagger-ui/../../app.py").status_code == 404
    assert client.get("/api/v1/docs/swagger-ui/index.html").status_code == 404


# --- events ----------------------------------------------------------------------------------


def test_event_list_filters_and_paginates_in_a_stable_order(client, api_event):
    made = [
        api_event(f"e-{n}", start=date(2014, 3, 1 + n % 3), country="AR" if n % 2 else "BR")
        for n in range(7)
    ]
    api_event("hidden", is_public=False)
    api_event("old", start=date(2012, 5, 1), status="held", kind="workshop")

    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/events?year=2014&per_page=3&page={page}").get_json()
        assert body["total"] == 7 and body["pages"] == 3 and body["page"] == page
        seen += [item["slug"] for item in body["items"]]
    assert sorted(seen) == sorted(e.slug for e in made)
    assert len(set(seen)) == 7
    # newest first, ties broken by id
    keys = [(e.start_date, -e.id) for e in sorted(made, key=lambda e: seen.index(e.slug))]
    assert keys == sorted(keys, reverse=True)

    argentina = client.get("/api/v1/events?country=ar&year=2014").get_json()
    assert {i["country_code"] for i in argentina["items"]} == {"AR"}
    assert argentina["total"] == 3
    held = client.get("/api/v1/events?status=held").get_json()
    assert [i["slug"] for i in held["items"]] == ["old"]
    workshops = client.get("/api/v1/events?kind=workshop").get_json()
    assert [i["slug"] for i in workshops["items"]] == ["old"]
    beyond = client.get("/api/v1/events?page=50").get_json()
    assert beyond["items"] == [] and beyond["total"] == 8  # the hidden one is not listed


def test_event_detail_gives_utc_times_and_local_dates(client, api_event):
    event = api_event("lemkin", title_translations={"es": "Seminario"}, capacity=30)
    body = client.get("/api/v1/events/lemkin").get_json()
    assert body["id"] == event.id
    assert body["timezone"] == "America/Argentina/Buenos_Aires"
    assert body["start_date"] == "2014-09-01"
    assert body["starts_at"] == "2014-09-01T12:00:00+00:00"  # 09:00 in Buenos Aires
    assert body["country"]["code"] == "AR"
    assert body["title_translations"] == {"es": "Seminario"}
    assert body["capacity"] == 30 and body["quotas"] == [] and body["partners"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=99999", "year"),
        ("country=ARG", "country"),
        ("kind=picnic", "kind"),
        ("status=done", "status"),
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("page=-1", "page"),
    ],
)
def test_bad_filters_get_422_naming_the_field(client, query, field):
    body = assert_problem(client.get(f"/api/v1/events?{query}"), 422)
    assert [p["name"] for p in body["invalid_params"]] == [field]
    assert body["invalid_params"][0]["in"] == "query"


def test_unknown_event_and_unknown_address_are_404_problems(client, api_event):
    api_event("secret", is_public=False)
    assert_problem(client.get("/api/v1/events/nope"), 404)
    assert_problem(client.get("/api/v1/events/secret"), 404)
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(client.get("/api/v1/events/" + "x" * 500), 404)


def test_hidden_event_is_visible_to_its_organizer(client, api_event, make_user, bearer):
    event = api_event("secret", is_public=False)
    organizer = make_user("organizer", event=event)
    body = client.get("/api/v1/events/secret", headers=bearer(organizer)).get_json()
    assert body["slug"] == "secret"
    other = make_user("organizer", event=api_event("other"))
    assert_problem(client.get("/api/v1/events/secret", headers=bearer(other)), 404)


def test_wrong_method_is_405_problem(client):
    response = client.delete("/api/v1/events")
    body = assert_problem(response, 405)
    assert body["status"] == 405


# --- tokens ----------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_shown_once(db, make_user):
    user = make_user("staff")
    token, plain = tokens.issue_token(user.id, "ministry sync")
    assert plain.startswith("lanet_") and len(plain) > 40
    stored = _db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert stored.token_hash == tokens.hash_token(plain)
    assert plain not in stored.token_hash
    found = tokens.authenticate(plain)
    assert found is not None and found[0].id == user.id
    assert tokens.authenticate(plain + "x") is None
    assert tokens.authenticate("") is None


def test_issue_refuses_bad_input_and_inactive_users(db, make_user):
    with pytest.raises(tokens.TokenError):
        tokens.issue_token(make_user("staff", active=False).id, "x")
    with pytest.raises(tokens.TokenError):
        tokens.issue_token(make_user("staff").id, "   ")
    with pytest.raises(tokens.TokenError):
        tokens.issue_token(999_999, "x")
    with pytest.raises(tokens.TokenError):
        tokens.revoke_token(999_999)
    assert _db.session.scalar(select(ApiToken)) is None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "lanet_x",
        "Bearer " + "a" * 300,
    ],
)
def test_bad_authorization_is_401_with_challenge(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_needs_a_token_and_tells_who(client, make_user, bearer):
    assert_problem(client.get("/api/v1/me"), 401)
    user = make_user("focal_point", country="AR")
    body = client.get("/api/v1/me", headers=bearer(user, "sync")).get_json()
    assert body["email"] == user.email and body["token_name"] == "sync"
    assert body["roles"] == [{"role": "focal_point", "event_id": None, "country_code": "AR"}]


def test_revoked_token_and_deactivated_user_are_refused(client, make_user, bearer):
    user = make_user("staff")
    headers = bearer(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = _db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    tokens.revoke_token(token.id)
    assert_problem(client.get("/api/v1/me", headers=headers), 401)

    other = make_user("staff")
    headers = bearer(other)
    other.active = False
    _db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_a_session_cookie_does_not_authenticate_the_api(client, make_user, login):
    login(client, make_user("staff"))
    assert_problem(client.get("/api/v1/me"), 401)


def test_last_used_is_recorded(client, make_user, bearer):
    user = make_user("staff")
    headers = bearer(user)
    client.get("/api/v1/me", headers=headers)
    token = _db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    _db.session.refresh(token)
    assert token.last_used_at is not None


# --- rate limit ------------------------------------------------------------------------------


@pytest.mark.slow
def test_rate_limit_answers_429_problem_with_retry_after(db, service_env, tmp_path):
    """A real gunicorn with the limiter on (the test app runs with it off)."""
    import requests

    from tests.processes import start_gunicorn

    env = {
        **os.environ,
        **service_env,
        "RATELIMIT_ENABLED": "1",
        "API_RATE_LIMIT": "3/minute",
        "LANET_INSTANCE": str(tmp_path),
        "RATELIMIT_KEY_PREFIX": f"api-limit-{uuid.uuid4().hex}",
    }
    process, base = start_gunicorn(env, tmp_path / "gunicorn.log", workers=1, threads=1)
    try:
        statuses = [requests.get(f"{base}/api/v1/events", timeout=60).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429], process.output()
        response = requests.get(f"{base}/api/v1/events", timeout=60)
        assert response.status_code == 429
        assert response.headers["Content-Type"] == PROBLEM
        assert response.json()["status"] == 429
        assert int(response.headers["Retry-After"]) >= 1
    finally:
        process.stop()


def test_staff_issue_list_and_revoke_tokens_through_the_api(client, make_user, bearer):
    staff = bearer(make_user("staff"))
    focal_user = make_user("focal_point", country="AR")
    issued = client.post(
        "/api/v1/tokens",
        json={"email": focal_user.email.upper(), "name": "ministry sync"},
        headers=staff,
    )
    assert issued.status_code == 201, issued.get_json()
    body = issued.get_json()
    assert body["user_email"] == focal_user.email and body["token"].startswith("lanet_")
    focal = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me", headers=focal).get_json()["token_name"] == "ministry sync"

    # the focal point sees only their own tokens and may not issue or revoke others'
    own = client.get("/api/v1/tokens", headers=focal).get_json()
    assert [t["id"] for t in own["items"]] == [body["id"]] and "token" not in own["items"][0]
    assert client.get("/api/v1/tokens", headers=staff).get_json()["total"] == 2
    refused = client.post("/api/v1/tokens", json={"email": "x@y.org", "name": "x"}, headers=focal)
    assert refused.status_code == 403
    staff_token_id = [
        t["id"]
        for t in client.get("/api/v1/tokens", headers=staff).get_json()["items"]
        if t["id"] != body["id"]
    ][0]
    assert client.delete(f"/api/v1/tokens/{staff_token_id}", headers=focal).status_code == 403

    assert (
        client.post(
            "/api/v1/tokens", json={"email": "nobody@example.org", "name": "x"}, headers=staff
        ).status_code
        == 404
    )
    blank = client.post(
        "/api/v1/tokens", json={"email": focal_user.email, "name": " "}, headers=staff
    )
    assert blank.status_code == 422 and blank.get_json()["invalid_params"][0]["name"] == "name"

    revoked = client.delete(f"/api/v1/tokens/{body['id']}", headers=focal)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert client.get("/api/v1/me", headers=focal).status_code == 401
    assert client.delete("/api/v1/tokens/999999", headers=staff).status_code == 404


def test_numbers_beyond_the_database_integer_are_404_not_503(client, make_user, bearer):
    """Found by schemathesis on PostgreSQL: /tokens/186897451811770568963784704 overflowed."""
    staff = bearer(make_user("staff"))
    for path in (
        "/api/v1/tokens/186897451811770568963784704",
        "/api/v1/events/x/check-ins/99999999999999999999",
        "/api/v1/reports/99999999999",
    ):
        method = client.get if "reports" in path else client.delete
        response = method(path, headers=staff)
        assert response.status_code == 404, (path, response.status_code)
        assert response.mimetype == PROBLEM
