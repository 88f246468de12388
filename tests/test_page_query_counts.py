"""Constant query counts of the pages (issue 16): the number of SQL statements a page costs
does not grow with what it shows (no N+1). Page cache off in tests."""

from __future__ import annotations

from tests.fixtures.registration import create_open_event
from tests.test_statement_counts import counted


def _events(count: int, start: int) -> None:
    for number in range(start, start + count):
        create_open_event(slug=f"listed-{number}", quotas={"AR": 2})


def _statements(client, path: str) -> int:
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_event_list_query_count_does_not_grow_with_events(fresh_client, db) -> None:
    _events(10, 0)
    _statements(fresh_client, "/events?lang=en")  # warm caches
    ten = _statements(fresh_client, "/events?lang=en")
    _events(40, 10)
    fifty = _statements(fresh_client, "/events?lang=en")
    print(f"\nevent list: {ten} statements with 10 events, {fifty} with 50")
    assert fifty == ten == 1  # was 5 before the cards were read as plain rows


def _published(event, count: int, first: int = 0) -> None:
    from datetime import time, timedelta

    from lanet.agenda import service as agenda

    for number in range(first, first + count):
        day = event.start_date + timedelta(days=number % 3)
        hour = 8 + number // 3 % 10
        agenda.add_item(
            event.id,
            agenda.ItemInput(
                "session", day, time(hour), time(hour, 45), f"Session {number}", room="Hall A"
            ),
        )
    agenda.publish(event.id)


def test_public_agenda_query_count_does_not_grow_with_items(fresh_client, db, agenda_event) -> None:
    """One statement (the event joined to its latest published version) with 3 items and
    with 30."""
    event = agenda_event(days=3)
    path = f"/events/{event.slug}/agenda?lang=en"
    _published(event, 3)
    _statements(fresh_client, path)  # warm caches
    three = _statements(fresh_client, path)
    _published(event, 27, first=3)
    thirty = _statements(fresh_client, path)
    print(f"\nagenda: {three} statements with 3 items, {thirty} with 30")
    assert thirty == three == 1  # was 2 (the event, then its version), 6 before issue 16


def test_slug_urls_are_what_url_for_builds(app) -> None:
    """The list builds its events' addresses around one url_for call: the same addresses."""
    from flask import url_for

    from lanet.core.web import slug_urls

    slugs = ["mx-mechanisms-2014", "a1", "Ünïcode slug", "with space", "x%y", "lanet-slug-marker"]
    with app.test_request_context("/events"):
        built = slug_urls("events.event_page", slugs)
        assert built == {slug: url_for("events.event_page", slug=slug) for slug in slugs}
    with app.test_request_context("/events", base_url="http://localhost/lanet/"):
        assert slug_urls("events.event_page", ["abc"]) == {"abc": "/lanet/events/abc"}


# --- signed-in workspace pages: the same statements for 10 registrations as for 200 ---------

_people = iter(range(1, 10**6))


def _registrants(event, count: int, *, status: str = "confirmed") -> None:
    """`count` registrations of `event` (people of two countries and three institutions, one
    without), written in one flush."""
    from lanet.extensions import db as _db
    from lanet.network.models import Institution, Person
    from lanet.registration.models import Registration

    institutions = _db.session.query(Institution).filter(Institution.code.like("qc-%")).all()
    if not institutions:
        institutions = [
            Institution(code=f"qc-{n}", name=f"Counted institution {n}", kind="academia")
            for n in range(3)
        ]
        _db.session.add_all(institutions)
    for _ in range(count):
        number = next(_people)
        person = Person(
            first_name=f"Ana{number}",
            last_name="Contada",
            email=f"counted{number}@test.lanet.example",
            country_code=("AR", "BR")[number % 2],
            institution=None if number % 4 == 0 else institutions[number % 3],
            position="Asesora",
        )
        _db.session.add(Registration(person=person, event_id=event.id, status=status))
    _db.session.commit()


def _signed_in(fresh_client, sign_in, make_user, role: str, event=None):
    user = make_user(role, event=event) if event is not None else make_user(role)
    sign_in(fresh_client, user)
    return fresh_client


def test_registrations_page_query_count_does_not_grow(fresh_client, db, sign_in, make_user):
    """The organizer's list of an event: the same statements with 10 registrations and with
    200 (it showed all of them, each person's institution and country loaded by selectinload,
    the list read twice; now one page of PAGE_SIZE, totals counted by the database)."""
    from lanet.registration.listing import PAGE_SIZE

    event = create_open_event(slug="counted-registrations", capacity=None, quotas={"AR": 5})
    client = _signed_in(fresh_client, sign_in, make_user, "organizer", event)
    path = f"/manage/events/{event.slug}/registrations?lang=en"
    _registrants(event, 10)
    _statements(client, path)  # warm caches
    ten = _statements(client, path)
    _registrants(event, 190, status="pending")
    two_hundred = _statements(client, path)
    searched = _statements(client, path + "&q=ana1&status=pending&country=AR")
    print(f"\nregistrations page: {ten} statements with 10, {two_hundred} with 200")
    assert two_hundred == ten == searched
    # Unfiltered, no statement reads every registration of the event: the totals come from the
    # counts the database keeps (registration_counts), the rows are the page's 50 (third pass;
    # before it, the totals grouped all 200 registrations joined to their people).
    with counted() as statements:
        assert client.get(path).status_code == 200
    # The signed-in user with roles, the event with its quotas, the counts, the rows.
    assert len(statements) == 4
    assert sum("FROM registration_counts" in s for s in statements) == 1
    page = client.get(path).get_data(as_text=True)
    assert '<span class="badge">AR 0/5</span>' in page  # the quotas, read with the event
    assert not any("GROUP BY registrations." in s for s in statements)
    page = client.get(path).get_data(as_text=True)
    assert page.count('name="registration"') == PAGE_SIZE
    assert f"Registrations 1–{PAGE_SIZE} of 200" in page
    last = client.get(path + "&page=4").get_data(as_text=True)
    assert "Registrations 151–200 of 200" in last and 'rel="prev"' in last
    assert 'rel="next"' not in last


def test_registrations_page_heading_and_pages_match_the_registrations(
    fresh_client, db, sign_in, make_user
):
    """What the page shows (totals by status, country and institution; the filters' choices;
    the count and the rows of a page, a page past the end) against the registrations counted
    here one by one, unfiltered (the total comes from the status totals) and filtered."""
    import re
    from collections import Counter

    from lanet.registration.models import Registration

    event = create_open_event(slug="heading-registrations", capacity=None)
    client = _signed_in(fresh_client, sign_in, make_user, "organizer", event)
    _registrants(event, 70)
    _registrants(event, 37, status="pending")
    path = f"/manage/events/{event.slug}/registrations?lang=en"
    registrations = list(
        db.session.scalars(
            db.select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.created_at, Registration.id)
        )
    )
    statuses = Counter(r.status for r in registrations)
    countries = Counter(r.person.country_code for r in registrations)
    institutions = Counter(
        r.person.institution.name if r.person.institution else "—" for r in registrations
    )
    page = client.get(path).get_data(as_text=True)
    assert "Registrations 1–50 of 107" in page
    for code, count in countries.items():
        assert f'<span class="badge">{code} {count}</span>' in page
    for name, count in institutions.items():
        assert f"{name} ({count})" in page
    for status, count in statuses.items():
        assert re.search(rf'reg-status-{status}">[^<]*</span> {count} ', page)
    assert '<option value="AR"' in page and '<option value="BR"' in page
    for name in {r.person.institution.name for r in registrations if r.person.institution}:
        assert f">{name}</option>" in page
    ids = [int(i) for i in re.findall(r'data-registration="(\d+)"', page)]
    assert ids == [r.id for r in registrations[:50]]
    for beyond in ("&page=3", "&page=99"):
        last = client.get(path + beyond).get_data(as_text=True)
        assert "Registrations 101–107 of 107" in last
        ids = [int(i) for i in re.findall(r'data-registration="(\d+)"', last)]
        assert ids == [r.id for r in registrations[100:]]
    pending = [r for r in registrations if r.status == "pending" and r.person.country_code == "AR"]
    filtered = client.get(path + "&status=pending&country=AR").get_data(as_text=True)
    assert f"Registrations 1–{len(pending)} of {len(pending)}" in filtered
    ids = [int(i) for i in re.findall(r'data-registration="(\d+)"', filtered)]
    assert ids == [r.id for r in pending]


def test_check_in_page_query_count_does_not_grow(fresh_client, db, sign_in, make_user):
    """The check-in page with a search matching many (it loaded each match's person one by
    one, and every confirmed registration to count them)."""
    event = create_open_event(slug="counted-check-in", capacity=None)
    client = _signed_in(fresh_client, sign_in, make_user, "organizer", event)
    path = f"/manage/events/{event.slug}/check-in?lang=en&q=ana"
    _registrants(event, 10)
    _statements(client, path)
    ten = _statements(client, path)
    _registrants(event, 190)
    two_hundred = _statements(client, path)
    print(f"\ncheck-in page: {ten} statements with 10, {two_hundred} with 200")
    assert two_hundred == ten


def test_badges_query_count_does_not_grow(fresh_client, db, sign_in, make_user):
    event = create_open_event(slug="counted-badges", capacity=None)
    client = _signed_in(fresh_client, sign_in, make_user, "organizer", event)
    path = f"/manage/events/{event.slug}/badges?lang=en"
    _registrants(event, 5)
    _statements(client, path)
    five = _statements(client, path)
    _registrants(event, 45)
    fifty = _statements(client, path)
    print(f"\nbadges: {five} statements with 5, {fifty} with 50")
    assert fifty == five


def test_workspace_query_count_does_not_grow_with_events(fresh_client, db, sign_in, make_user):
    """/manage/events for staff: the same statements with 5 events (with registrations) as
    with 25."""
    client = _signed_in(fresh_client, sign_in, make_user, "staff")
    path = "/manage/events?lang=en"

    def events(count: int, first: int) -> None:
        for number in range(first, first + count):
            event = create_open_event(slug=f"counted-workspace-{number}", quotas={"AR": 2})
            _registrants(event, 2, status="pending")

    events(5, 0)
    _statements(client, path)
    five = _statements(client, path)
    events(20, 5)
    twenty_five = _statements(client, path)
    print(f"\nworkspace: {five} statements with 5 events, {twenty_five} with 25")
    assert twenty_five == five


def test_account_page_reads_each_organizer_event_once(fresh_client, db, sign_in, make_user):
    """The account page names each role (its label) and links its pages: an organizer's event
    is read once for both."""
    from lanet.accounts.models import UserRole

    first = create_open_event(slug="account-events-1")
    organizer = make_user("organizer", event=first)
    sign_in(fresh_client, organizer)
    fresh_client.get("/account?lang=en")

    def events_read() -> tuple[int, int]:
        with counted() as statements:
            response = fresh_client.get("/account?lang=en")
        assert response.status_code == 200
        return len(statements), sum(1 for s in statements if "FROM events" in s)

    one_role = events_read()
    assert one_role[1] == 1

    for number in (2, 3):
        event = create_open_event(slug=f"account-events-{number}")
        db.session.add(UserRole(user_id=organizer.id, role="organizer", event_id=event.id))
    db.session.commit()
    three_roles = events_read()
    assert three_roles[1] == 3
    assert three_roles[0] == one_role[0] + 2
