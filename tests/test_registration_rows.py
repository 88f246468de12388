"""The rows a registration writes, column by column (issue 16, third pass).

The registration path writes its rows with Core INSERTs instead of the ORM's unit of work
(CPU per registration). `tests/golden/registration_rows.json` holds every row the ORM path
wrote (recorded on 69dadcd, before the change) for the same scenario: confirmed (a quota seat
and an open seat, a new institution and a known one), waitlisted (quota full, event full),
pending approval, invited by a focal point (a nomination), a returning person, an address
already registered (its private link again), through the service and through the public form,
and a seat the unlocked look promised but the seat step refused. The rows written now must be
the same, column by column. Times are compared as "set or not" (they are the clock's), every
random value is made deterministic (link nonces, Message-IDs).
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lanet.extensions import db as _db
from lanet.registration import service

GOLDEN = Path(__file__).parent / "golden" / "registration_rows.json"
TABLES = (
    "people",
    "institutions",
    "registrations",
    "audit_entries",
    "outbox_messages",
    "invitations",
    "events",
    "event_quotas",
)
START = date(2090, 5, 12)  # far ahead: the emails' dates stay the same whenever this runs


def _value(value):
    if isinstance(value, datetime):
        return "<time>"
    if isinstance(value, bytes | memoryview):
        return {"bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump() -> dict[str, list[dict]]:
    """Every row of the tables a registration touches, by id, times as "<time>"."""
    _db.session.expire_all()
    rows: dict[str, list[dict]] = {}
    for name in TABLES:
        table = _db.metadata.tables[name]
        order = list(table.primary_key.columns)
        found = _db.session.execute(select(table).order_by(*order)).mappings().all()
        rows[name] = [{key: _value(value) for key, value in row.items()} for row in found]
    return rows


def _applicant(number: int, **values) -> service.Applicant:
    fields = dict(
        first_name=f"Ana {number}",
        last_name="Rows",
        email=f"Ana.Rows{number}@Example.org ",
        country_code="AR",
        new_institution_name="Ministerio de Relaciones Exteriores",
        new_institution_kind="ministry_foreign_affairs",
        position=" Asesora ",
        language="pt",
        consent=True,
    )
    fields.update(values)
    return service.Applicant(**fields)


@pytest.fixture()
def deterministic(monkeypatch):
    from lanet.core import tokens
    from lanet.mail import service as mail

    nonces = (f"nonce{n:017d}" for n in itertools.count(1))
    message_ids = (f"<message-{n}@lanet.test>" for n in itertools.count(1))
    monkeypatch.setattr(tokens, "new_nonce", lambda: next(nonces))
    monkeypatch.setattr(mail, "new_message_id", lambda: next(message_ids))


def _scenario(make_event, make_user, fresh_client, applicant, monkeypatch) -> None:
    from lanet.registration import invitations, seats

    capped = make_event(capacity=3, quotas={"AR": 1}, slug="rows-capped", start=START)
    approval = make_event(requires_approval=True, slug="rows-approval", start=START)
    other = make_event(capacity=None, slug="rows-other", start=START)
    capped_id, approval_id, other_id = capped.id, approval.id, other.id
    # Confirmed on AR's quota seat, creating the institution.
    service.register(capped_id, _applicant(1))
    # Confirmed on an open seat, an institution chosen from the list, another role and actor.
    institution_id = _db.session.scalar(select(_db.metadata.tables["institutions"].c.id).limit(1))
    service.register(
        capped_id,
        _applicant(2, country_code="CO", institution_id=institution_id, role="observer"),
        actor="api",
    )
    # Waitlisted: AR's quota is full.
    service.register(capped_id, _applicant(3, language="en"))
    # Confirmed on the last seat, no institution, no position.
    service.register(
        capped_id, _applicant(4, country_code="BR", new_institution_name=None, position=None)
    )
    # Waitlisted: the event is full.
    service.register(capped_id, _applicant(5, country_code="PE", language="es"))
    # Pending approval, a returning person (their stored details win over the typed ones).
    service.register(approval_id, _applicant(1, first_name="Other", language="es"))
    # Already registered: the private link again, nothing else.
    service.request_registration(capped_id, _applicant(3))
    # Invited by a focal point: an unknown address, and a known person of their country (a
    # nomination: it counts for the person nominated).
    # Named as the golden file recorded it: make_user's own numbering depends on the tests
    # that ran before this one in the same session.
    focal = make_user(
        "focal_point", country="CO", email="focal.rows@example.org", last_name="User1"
    )
    invited = invitations.invite(
        other_id,
        [
            invitations.Invitee(email="nominee.rows@example.org"),
            invitations.Invitee(email="ana.rows2@example.org"),
        ],
        focal.id,
    ).created
    service.register(
        other_id,
        _applicant(6, country_code="CL", email="nominee.rows@example.org"),
        invitation_token=invited[0].link_token,
    )
    service.register(other_id, _applicant(2), invitation_token=invited[1].link_token)
    # Through the public form.
    answer = fresh_client.post(
        "/events/rows-other/register", data=applicant(70, country="MX", language="en")
    )
    assert answer.status_code == 302
    # The unlocked look promised a seat the seat step no longer had: waitlisted after all.
    full = seats.Look(capacity=3, taken=0, quotas={}, queue_ahead=False)
    monkeypatch.setattr(seats, "look", lambda event_id, country: full)
    late = service.register(capped_id, _applicant(8, country_code="PE"))
    assert late.status == "waitlisted"


def test_the_rows_written_are_those_the_orm_path_wrote(
    db, deterministic, make_event, make_user, fresh_client, applicant, monkeypatch
) -> None:
    _scenario(make_event, make_user, fresh_client, applicant, monkeypatch)
    written = json.loads(json.dumps(dump(), sort_keys=True))
    expected = json.loads(GOLDEN.read_text())
    for table in TABLES:
        assert len(written[table]) == len(expected[table]), table
        for got, wanted in zip(written[table], expected[table], strict=True):
            assert got == wanted, (table, got.get("id"))


def test_a_country_unknown_to_the_form_is_asked_again_until_it_exists(
    db, fresh_client, make_event, applicant
) -> None:
    """The form's country check remembers only codes it found (countries are never deleted):
    a code not found is not remembered, so once the country is added it is accepted."""
    from lanet.network.models import Country

    event = make_event(capacity=10)
    url = f"/events/{event.slug}/register"
    refused = fresh_client.post(
        url, data=applicant(country="UY"), headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 422
    assert b"Not a valid choice" in refused.data
    _db.session.add(
        Country(
            code="UY", name_es="Uruguay", name_pt="Uruguai", name_en="Uruguay", membership="member"
        )
    )
    _db.session.commit()
    assert fresh_client.post(url, data=applicant(country="UY")).status_code == 302
