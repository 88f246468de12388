"""Issue 14, item 2 (the boundary): names with control characters are refused by the form
and by the API, with the field named, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lanet.network.models import Person
from lanet.registration.models import Registration

BAD_NAMES = ["Ana\r\nBcc: x@example.org", "Ana\nPérez", "Ana\tPérez", "Ana\x1bPérez", "Ana\u2028"]


def _counts(db) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Person)),
        db.session.scalar(select(func.count()).select_from(Registration)),
    )


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("field", ["first_name", "last_name", "position"])
def test_the_form_refuses_control_characters_in_names(
    db, fresh_client, make_event, applicant, name, field
):
    event = make_event()
    before = _counts(db)
    response = fresh_client.post(
        f"/events/{event.slug}/register",
        data=applicant(**{field: name}),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert b"control characters" in response.data
    assert _counts(db) == before


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("field", ["first_name", "last_name", "position"])
def test_the_api_refuses_control_characters_in_names(client, api_event, db, name, field):
    event = api_event("seminar", capacity=10)
    before = _counts(db)
    body = {
        "first_name": "Ana",
        "last_name": "Pérez",
        "email": "ana@example.org",
        "country_code": "AR",
        "consent": True,
        field: name,
    }
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=body)
    assert response.status_code == 422
    invalid = {p["name"]: p["reason"] for p in response.get_json()["invalid_params"]}
    assert "control characters" in invalid[field]
    assert _counts(db) == before
