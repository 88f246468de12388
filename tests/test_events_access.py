"""`event_for(slug, action)`: the one rule by which pages and the API find an event and check
the caller. The access matrix (tests/test_access_matrix.py) covers a public event for every
endpoint; here, the rule itself and a hidden event, where the pages and the API used to differ
(a signed-in caller who may not see a hidden event got 403 on pages and 404 from the API; now
404 on both, so the event's existence is not told)."""

from __future__ import annotations

import pytest
from flask import g

from lanet.accounts.permissions import Action
from lanet.events.access import (
    VIEW,
    EventForbidden,
    EventNotFound,
    SignInRequired,
    event_for,
)
from tests.fixtures.accounts import log_in


@pytest.fixture()
def events(api_event):
    return {
        "public": api_event("access-public", status="open"),
        "hidden": api_event("access-hidden", is_public=False, status="open"),
        "other": api_event("access-other"),
    }


def _as(app, user):
    """A request context where `current_user` is `user` (None: anonymous)."""
    context = app.test_request_context()
    context.push()
    if user is not None:
        g._login_user = user
    return context


@pytest.mark.parametrize("action", [VIEW, Action.view_registrations])
def test_unknown_and_overlong_slugs_are_not_found(app, db, make_user, events, action):
    context = _as(app, make_user("staff"))
    try:
        for slug in ("no-such-event", "x" * 81):
            with pytest.raises(EventNotFound):
                event_for(slug, action)
    finally:
        context.pop()


def test_anonymous_callers_see_public_events_only(app, db, events):
    context = _as(app, None)
    try:
        assert event_for("access-public") == events["public"]
        with pytest.raises(EventNotFound):
            event_for("access-hidden")
        # An organizer's action: sign in first, before anything is looked up (an unknown slug
        # answers the same), so nothing is told about which events exist.
        for slug in ("access-public", "access-hidden", "no-such-event"):
            with pytest.raises(SignInRequired):
                event_for(slug, Action.invite)
    finally:
        context.pop()


def test_organizers_see_their_hidden_event_and_act_on_their_own_only(app, db, make_user, events):
    organizer = make_user("organizer", event=events["hidden"])
    context = _as(app, organizer)
    try:
        assert event_for("access-hidden") == events["hidden"]
        assert event_for("access-hidden", Action.check_in) == events["hidden"]
        assert event_for("access-public") == events["public"]
        with pytest.raises(EventForbidden):
            event_for("access-public", Action.check_in)  # seen, not theirs
    finally:
        context.pop()
    stranger = make_user("organizer", event=events["other"])
    context = _as(app, stranger)
    try:
        with pytest.raises(EventNotFound):
            event_for("access-hidden")
        with pytest.raises(EventNotFound):
            event_for("access-hidden", Action.check_in)  # not 403: it is not theirs to see
    finally:
        context.pop()


def test_staff_see_and_act_on_every_event(app, db, make_user, events):
    context = _as(app, make_user("staff"))
    try:
        for slug in ("access-public", "access-hidden"):
            assert event_for(slug, Action.approve_registrations).slug == slug
    finally:
        context.pop()


def test_focal_points_read_public_events_and_manage_none(app, db, make_user, events):
    context = _as(app, make_user("focal_point", country="AR"))
    try:
        assert event_for("access-public") == events["public"]
        with pytest.raises(EventNotFound):
            event_for("access-hidden")
        with pytest.raises(EventForbidden):
            event_for("access-public", Action.view_registrations)
    finally:
        context.pop()


# --- pages and API answer alike ----------------------------------------------------------------

# (page, API operation) pairs for the same thing, read through the same `event_for`.
SAME_THING = [
    ("/manage/events/{slug}/invitations", "/api/v1/events/{slug}/invitations"),
    ("/manage/events/{slug}/agenda", "/api/v1/events/{slug}/agenda/draft"),
    ("/events/{slug}", "/api/v1/events/{slug}"),
    ("/events/{slug}/register", "/api/v1/events/{slug}/agenda"),
]


@pytest.mark.parametrize("who", ["stranger", "organizer", "staff"])
@pytest.mark.parametrize("page,operation", SAME_THING)
def test_a_hidden_event_answers_the_same_on_pages_and_api(
    app, db, client, make_user, bearer, events, who, page, operation
):
    users = {
        "stranger": make_user("organizer", event=events["other"]),
        "organizer": make_user("organizer", event=events["hidden"]),
        "staff": make_user("staff"),
    }
    user = users[who]
    api = client.get(operation.format(slug="access-hidden"), headers=bearer(user))
    log_in(client, user)
    web = client.get(page.format(slug="access-hidden"))
    want = 404 if who == "stranger" else 200
    assert (web.status_code, api.status_code) == (want, want)
    if want == 404:
        assert api.get_json()["status"] == 404
        assert events["hidden"].title.encode() not in web.data


def test_anonymous_callers_sign_in_first_on_pages_and_get_401_from_the_api(client, db, events):
    for slug in ("access-hidden", "no-such-event"):
        page = client.get(f"/manage/events/{slug}/invitations")
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        api = client.get(f"/api/v1/events/{slug}/invitations")
        assert api.status_code == 401 and "Bearer" in api.headers["WWW-Authenticate"]
