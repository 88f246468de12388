"""Issue 14, item 1: an email address opens nothing.

A submission with an address already known never reveals or changes the stored person and
never returns a private link; the private link reaches only the address's inbox; the answer
to the submitter is the same whether or not the address was known, or already registered;
the registration rate limit applies to the API as to the form.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from lanet.registration.models import Registration
from tests.fixtures.registration import ensure_countries

pytestmark = pytest.mark.usefixtures("db")


def _api_body(**values) -> dict:
    return {
        "first_name": "Mallory",
        "last_name": "Intruder",
        "email": "ana@example.org",
        "country_code": "AR",
        "language": "en",
        "position": "Attacker",
        "consent": True,
        **values,
    }


def _form(applicant, **values) -> dict:
    return applicant(**values)


def _mails(to: str) -> list[OutboxMessage]:
    from lanet.extensions import db

    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_email == to))
    )


def _answer(response) -> tuple[int, str]:
    """What the submitter sees, without what varies per request (ids, tokens, CSRF)."""
    return response.status_code, response.headers.get("Location", "")


@pytest.fixture()
def known(db, make_event):
    """Ana, known to LANET from an earlier seminar."""
    ensure_countries("AR")
    person = Person(
        first_name="Ana",
        last_name="Pérez",
        email="ana@example.org",
        country_code="AR",
        position="Directora de Derechos Humanos",
        language="es",
    )
    db.session.add(person)
    db.session.commit()
    return person


def test_the_api_never_returns_a_person_or_a_private_link(client, make_event, known):
    event = make_event()
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=_api_body())
    assert response.status_code == 202
    body = response.get_json()
    assert "manage_token" not in body and "person" not in body
    assert "Directora" not in response.get_data(as_text=True)
    assert "Pérez" not in response.get_data(as_text=True)
    # The stored person is unchanged; the private link went to Ana's inbox only.
    from lanet.extensions import db

    db.session.expire_all()
    person = db.session.get(Person, known.id)
    assert (person.first_name, person.position, person.language) == (
        "Ana",
        "Directora de Derechos Humanos",
        "es",
    )
    [mail] = _mails("ana@example.org")
    registration = db.session.scalar(select(Registration))
    assert registration.manage_token in mail.context["manage_url"]
    assert registration.manage_token not in response.get_data(as_text=True)


def test_known_unknown_and_already_registered_get_the_same_api_answer(client, make_event, known):
    event = make_event()
    url = f"/api/v1/events/{event.slug}/registrations"
    answers = [
        client.post(url, json=_api_body(email="new.person@example.org")),
        client.post(url, json=_api_body()),  # known address
        client.post(url, json=_api_body()),  # known and now registered: no 409
    ]
    assert {r.status_code for r in answers} == {202}
    assert len({str(sorted(r.get_json().items())) for r in answers}) == 1
    # The second request for Ana sent her private link again, to her inbox.
    assert len(_mails("ana@example.org")) == 2
    assert all("manage_url" in m.context for m in _mails("ana@example.org"))


def test_the_form_answers_check_your_inbox_whoever_the_address_is(
    fresh_client, make_event, applicant, known
):
    event = make_event()
    url = f"/events/{event.slug}/register"
    answers = [
        fresh_client.post(url, data=_form(applicant, email="someone.new@example.org")),
        fresh_client.post(url, data=_form(applicant, email="ana@example.org", position="X")),
        fresh_client.post(url, data=_form(applicant, email="ana@example.org")),
    ]
    assert len({_answer(r) for r in answers}) == 1
    location = answers[0].headers["Location"]
    assert "/r/" not in location
    page = fresh_client.get(location, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "inbox" in page.get_data(as_text=True)
    from lanet.extensions import db

    db.session.expire_all()
    assert db.session.get(Person, known.id).position == "Directora de Derechos Humanos"
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_the_api_registration_has_the_forms_rate_limit(app, client, make_event, monkeypatch):
    event = make_event()
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTRATION", "2 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_KEY_PREFIX", f"reg-{id(monkeypatch)}")
    url = f"/api/v1/events/{event.slug}/registrations"
    codes = [
        client.post(
            url,
            json=_api_body(email=f"p{n}@example.org"),
            environ_base={"REMOTE_ADDR": "192.0.2.77"},
        ).status_code
        for n in range(3)
    ]
    assert codes == [202, 202, 429]
