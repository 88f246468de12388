"""Issue 14, item 4, the cases reported one by one (the route walk in test_trust_routes.py
covers every route), and the log line of an unexpected 500."""

from __future__ import annotations

import logging

import pytest

from lanet.core.boundary import json_too_deep, parse_int
from tests.fixtures.api import create_api_event


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("²", None), ("١٢", None), ("2147483648", None), ("-1", None), ("", None)],
)
def test_parse_int_takes_ascii_digits_within_postgresql_integer(text, expected):
    assert parse_int(text) == expected


def test_json_depth_counts_brackets_outside_strings():
    assert json_too_deep(b"[" * 100 + b"]" * 100)
    assert not json_too_deep(b'{"a": "' + b"[" * 1000 + b'"}')


@pytest.mark.parametrize(
    "url",
    [
        "/events?year=²",
        "/calendar/network.ics?year=²",
        "/r/%00",
        "/events/%00",
        "/events/x%00y/agenda",
        "/staff/reports/99999999999999999999",
        "/staff/outbox/2147483648/resend",
        "/events?slug=x",
        "/events?_external=1",
    ],
)
def test_reported_urls_answer_4xx_or_a_page(client, db, url):
    create_api_event("seminar")
    response = client.get(url)
    assert response.status_code < 500, url


def test_deeply_nested_json_is_a_400_problem(client, db):
    event = create_api_event("seminar", status="open", capacity=5)
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        data="[" * 50_000 + "]" * 50_000,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_nul_in_a_form_field_is_a_400_and_changes_nothing(client, db, make_event, applicant):
    event = make_event()
    response = client.post(f"/events/{event.slug}/register", data=applicant(first_name="A\x00na"))
    assert response.status_code == 400


def test_an_unexpected_error_is_logged_with_its_request_id(app, db, caplog, monkeypatch):
    from lanet.core import errors

    def boom():
        raise RuntimeError("kaboom")

    endpoint = app.url_map.bind("localhost").match("/")[0]
    monkeypatch.setitem(app.view_functions, endpoint, boom)
    # As in production (create_app registers it unless TESTING): the 500 page for the client.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    handlers = app.error_handler_spec.setdefault(None, {}).setdefault(None, {})
    monkeypatch.setitem(handlers, Exception, errors.handle_unexpected)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/", headers={"X-Request-ID": "req-abc-123"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-abc-123"
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "req-abc-123" in record.getMessage()
    assert getattr(record, "request_id", None) == "req-abc-123"
    assert record.exc_info and "kaboom" in str(record.exc_info[1])
