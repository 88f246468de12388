"""The page header and footer kept per (language, address prefix, roles) (lanet/core/layout.py):
every page reads byte for byte as when they are rendered on each page (`LAYOUT_CACHE` off), in
es, pt and en, anonymous and signed in with each kind of role, including the language switch's
links (this page's address) and the sign-out form's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import g

from tests.fixtures.registration import FreshContextClient
from tests.test_page_query_counts import _published

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture()
def layout_pages(db, agenda_event) -> list[str]:
    event = agenda_event(days=3)
    _published(event, 6)
    hidden = agenda_event(days=2, is_public=False)
    return [
        "/",
        "/events",
        "/events?year=2014&country=AR&kind=workshop",
        # A query key named like a path parameter or a url_for option: the switch drops it.
        "/events?slug=x&_external=1",
        f"/events/{event.slug}",
        f"/events/{event.slug}/agenda",
        f"/events/{event.slug}/agenda?tz=Asia/Tokyo&note=%3Cb%3E%22'",
        f"/events/{hidden.slug}/agenda",
        "/events/no-such-event/agenda",
        "/calendar",
        "/login",
        "/manage/events",
    ]


@pytest.fixture()
def visitors(db, make_user, agenda_event) -> dict[str, object]:
    organized = agenda_event(days=1)
    return {
        "anonymous": None,
        "staff": make_user("staff"),
        "organizer": make_user("organizer", event=organized),
        "focal point": make_user("focal_point", country="AR"),
        "no role": make_user(None),
    }


def _get(client, app, path: str, language: str, cached: bool) -> tuple[int, str]:
    app.config["LAYOUT_CACHE"] = cached
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
    if language == "?lang=pt":
        response = client.get(path + ("&" if "?" in path else "?") + "lang=pt")
    else:
        response = client.get(path, headers={"Accept-Language": language})
    # A redirect to the sign-in page flashes a message the next page would show.
    with client.session_transaction() as session:
        session.pop("_flashes", None)
    return response.status_code, response.get_data(as_text=True)


def _pages(client, app, pages, language, cached) -> Iterator[tuple[str, int, str]]:
    for path in pages:
        yield (path, *_get(client, app, path, language, cached))


@pytest.mark.parametrize("language", ["es", "pt", "en", "?lang=pt"])
def test_pages_are_byte_identical_with_the_layout_kept_and_rendered_each_time(
    app, client, login, layout_pages, visitors, language
) -> None:
    compared = 0
    try:
        for name, user in visitors.items():
            client.delete_cookie("session")
            if user is not None:
                login(client, user)
            # Rendered each time, then kept (first request of a key) and served kept.
            plain = list(_pages(client, app, layout_pages, language, cached=False))
            first = list(_pages(client, app, layout_pages, language, cached=True))
            again = list(_pages(client, app, layout_pages, language, cached=True))
            for (path, status, body), (_, status_1, body_1), (_, status_2, body_2) in zip(
                plain, first, again, strict=True
            ):
                # The CSRF token is signed with the time: compare the pages around it, and
                # each page has a token of its own session (checked below).
                assert (status_1, status_2) == (status, status), (name, path)
                normal = TOKEN.sub("token", body)
                assert TOKEN.sub("token", body_1) == normal, (name, language, path)
                assert TOKEN.sub("token", body_2) == normal, (name, language, path)
                assert "lanet-layout" not in body_2
                compared += 1
    finally:
        app.config["LAYOUT_CACHE"] = True
    assert compared == len(visitors) * len(layout_pages)


def test_the_language_switch_links_this_page_and_marks_the_current_language(
    app, client, layout_pages
) -> None:
    path = layout_pages[6]  # the agenda with ?tz= and a query value to escape
    status, body = _get(client, app, path, "en", cached=True)
    assert status == 200
    _, body = _get(client, app, "/events?year=2014", "pt", cached=True)
    assert '<span aria-current="true" lang="pt">Português</span>' in body
    assert '<a href="/events?year=2014&amp;lang=es" lang="es" hreflang="es">Español</a>' in body
    assert '<a href="/events?year=2014&amp;lang=en" lang="en" hreflang="en">English</a>' in body
    # Another page with the same key: its own addresses, not the first page's.
    _, body = _get(client, app, path, "pt", cached=True)
    slug_path = path.split("?")[0]
    assert f'href="{slug_path}?tz=Asia/Tokyo&amp;note=%3Cb%3E%22&#39;&amp;lang=en"' in body
    assert "year=2014" not in body


def test_the_kept_header_carries_each_session_its_own_valid_sign_out_token(
    app, visitors, login
) -> None:
    staff = visitors["staff"]
    tokens = []
    for _ in range(2):
        # Each request in an app context of its own, as on a server (Flask-WTF keeps the
        # token in `g`, which the test's own app context would share between sessions).
        client = FreshContextClient(app, app.response_class, use_cookies=True)
        login(client, staff)
        body = client.get("/events", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Audit log" in body and "Sign out" in body
        tokens.append(TOKEN.search(body).group(1))
        app.config["WTF_CSRF_ENABLED"] = True
        try:
            assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
            signed_out = client.post("/logout", data={"csrf_token": tokens[-1]})
        finally:
            app.config["WTF_CSRF_ENABLED"] = False
        assert signed_out.status_code == 302, signed_out.get_data(as_text=True)[-600:]
    assert tokens[0] != tokens[1]


def test_the_navigation_follows_the_roles_of_the_visitor(app, client, login, visitors) -> None:
    shown = {}
    for name, user in visitors.items():
        client.delete_cookie("session")
        if user is not None:
            login(client, user)
        g.pop("_login_user", None)
        body = client.get("/events", headers={"Accept-Language": "en"}).get_data(as_text=True)
        nav = body.split('<nav class="main-nav"')[1].split("</nav>")[0]
        shown[name] = re.findall(r">([A-Z][a-z]+(?: [a-z]+)?)</(?:a|button)>", nav)
    assert shown == {
        "anonymous": ["Events", "Calendars", "Sign in"],
        "staff": [
            "Events",
            "Calendars",
            "Bulletin",
            "Outbox",
            "Totals",
            "Account",
            "Users",
            "Audit log",
            "Sign out",
        ],  # fmt: skip
        "organizer": ["Events", "Calendars", "Account", "Sign out"],
        "focal point": ["Events", "Calendars", "Nominations", "Totals", "Account", "Sign out"],
        "no role": ["Events", "Calendars", "Account", "Sign out"],
    }
