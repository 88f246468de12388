"""Hypothesis on what the API parses: dates, time zones and CSV text. Whatever comes in, the
answer is a success or a 4xx problem naming the field, never a crash, and what is stored is
what was meant."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from lanet.extensions import db as _db
from lanet.registration.models import ImportJob, Invitation
from tests.fixtures.api import bearer_headers, create_api_event
from tests.fixtures.registration import run_import_jobs

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
ZONES = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)
LANGS = ["es", "pt", "en"]


# --- dates -----------------------------------------------------------------------------------


@SETTINGS
@given(text=st.text(max_size=30))
def test_any_day_text_is_a_date_or_a_422(client, api_event, make_user, text):
    event = _event_once(api_event)
    headers = _organizer_once(make_user, event)
    response = client.post(
        f"/api/v1/events/{event.slug}/check-ins/by-registration",
        json={"registration_id": 1, "day": text},
        headers=headers,
    )
    assert response.status_code < 500
    try:
        date.fromisoformat(text)
        iso = len(text) == 10
    except ValueError:
        iso = False
    if not iso:
        assert response.status_code == 422
        assert response.get_json()["invalid_params"][0]["name"] == "day"


@SETTINGS
@given(day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_calendar_date_is_parsed_and_judged_by_the_service(client, api_event, make_user, day):
    event = _event_once(api_event)
    headers = _organizer_once(make_user, event)
    response = client.post(
        f"/api/v1/events/{event.slug}/check-ins/by-registration",
        json={"registration_id": 999_999, "day": day.isoformat()},
        headers=headers,
    )
    # The date is well formed: the service decides (not a day of the event / no such person).
    assert response.status_code == 409, response.get_json()


# --- time zones ------------------------------------------------------------------------------


@SETTINGS
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2037, 12, 31)),
    hour=st.integers(min_value=0, max_value=23),
)
def test_event_times_come_out_in_utc_whatever_the_zone(client, db, zone, day, hour):
    local = datetime.combine(day, time(hour), ZoneInfo(zone))
    # Skip wall-clock times a DST jump skips over: nobody schedules a session there.
    assume(
        local.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        == local.replace(tzinfo=None)
    )
    event = create_api_event(start=day, days=1, timezone=zone)
    event.starts_at = local.astimezone(UTC)
    event.ends_at = local.astimezone(UTC) + timedelta(hours=1)
    _db.session.commit()
    body = client.get(f"/api/v1/events/{event.slug}").get_json()
    parsed = datetime.fromisoformat(body["starts_at"])
    assert parsed.utcoffset() == timedelta(0)
    assert parsed == local
    assert parsed.astimezone(ZoneInfo(body["timezone"])).date() == date.fromisoformat(
        body["start_date"]
    )


# --- CSV ------------------------------------------------------------------------------------

emails = st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,5})?@[a-z]{2,8}\.(org|net|gob\.ar)", fullmatch=True)
rows = st.lists(st.tuples(emails, st.sampled_from(LANGS)), min_size=1, max_size=8)


def _csv_text(pairs, delimiter: str, header: bool, crlf: bool, bom: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    if header:
        writer.writerow(["email", "language"])
    writer.writerows(pairs)
    return ("\ufeff" if bom else "") + out.getvalue()


@SETTINGS
@given(
    pairs=rows,
    delimiter=st.sampled_from([",", ";"]),
    header=st.booleans(),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_valid_csv_invites_exactly_its_unique_addresses(
    client, api_event, make_user, pairs, delimiter, header, crlf, bom
):
    event = _event_once(api_event)
    headers = _organizer_once(make_user, event)
    _db.session.execute(delete(ImportJob))
    _db.session.execute(delete(Invitation))
    _db.session.commit()
    response = client.post(
        f"/api/v1/events/{event.slug}/invitations/csv",
        json={"csv": _csv_text(pairs, delimiter, header, crlf, bom)},
        headers=headers,
    )
    addresses = [email for email, _lang in pairs]
    if len(set(addresses)) < len(addresses):
        # A repeated address is a bad row: all or nothing, with the row numbers.
        assert response.status_code == 422
        assert all(p["name"].startswith("csv[") for p in response.get_json()["invalid_params"])
        return
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["total"] == len(pairs)
    run_import_jobs()  # what the worker does
    created = _db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    assert [(i.email, i.language) for i in created] == list(pairs)


@SETTINGS
@given(text=st.text(min_size=1, max_size=300))
def test_any_csv_text_is_invited_or_refused_naming_the_rows(client, api_event, make_user, text):
    event = _event_once(api_event)
    headers = _organizer_once(make_user, event)
    _db.session.execute(delete(ImportJob))
    _db.session.execute(delete(Invitation))
    _db.session.commit()
    response = client.post(
        f"/api/v1/events/{event.slug}/invitations/csv", json={"csv": text}, headers=headers
    )
    assert response.status_code in (202, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.get_json()["invalid_params"]


def test_csv_the_csv_module_cannot_read_is_a_422(client, api_event, make_user):
    event = _event_once(api_event)
    headers = _organizer_once(make_user, event)
    for text in ["a" * 140_000, 'a"b\rc@example.org']:
        response = client.post(
            f"/api/v1/events/{event.slug}/invitations/csv", json={"csv": text}, headers=headers
        )
        assert response.status_code == 422
        assert response.get_json()["invalid_params"][0]["name"].startswith("csv")


# --- one event and one organizer per test, however many examples run -------------------------

_cache: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _fresh_cache():
    _cache.clear()
    yield
    _cache.clear()


def _event_once(api_event):
    from lanet.events.models import Event

    event = _db.session.get(Event, _cache.get("event_id", 0)) if "event_id" in _cache else None
    if event is None:
        event = api_event(start=date(2014, 9, 1), days=3)
        _cache["event_id"] = event.id
        _cache.pop("headers", None)
    return event


def _organizer_once(make_user, event) -> dict[str, str]:
    if "headers" not in _cache:
        _cache["headers"] = bearer_headers(make_user("organizer", event=event))
    return _cache["headers"]  # type: ignore[return-value]
