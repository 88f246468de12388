"""Erasure reaches everywhere a person's name and email were written, through the real paths
that write them: the API (with an Idempotency-Key), invitations, the agenda (draft, published
versions, calendars), iMIP messages, stored calendar files, the audit log.

The check after the erasure reads every text, JSON and binary column of every table and
looks for the person's names and email; a second person, who is not erased, must still be
found by the same scan (so the scan does see the data it looks for).
"""

from __future__ import annotations

import json
import uuid
from datetime import time

import pytest
from sqlalchemy import JSON, LargeBinary, String, select

from lanet.accounts.models import User
from lanet.agenda import service as agenda_service
from lanet.api.models import IdempotencyKey
from lanet.bulletin.models import Contact
from lanet.calendars import build
from lanet.calendars import service as calendars_service
from lanet.core.models import StoredFile
from lanet.core.personal_data import unfold
from lanet.extensions import db as _db
from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from lanet.privacy import service as privacy_service
from lanet.registration.models import Registration
from tests.fixtures.registration import create_open_event

ERASED_NAMES = ("Xochiquetzal", "Quispeyupanqui")
ERASED_EMAIL = "xochi.quispe@cancilleria.example"
KEPT_NAMES = ("Bartolomeo", "Wenceslaofski")
KEPT_EMAIL = "bartolo.wences@mre.example"


def _applicant(first: str, last: str, email: str) -> dict:
    return {
        "first_name": first,
        "last_name": last,
        "email": email,
        "country_code": "AR",
        "language": "es",
        "position": f"Directora de {last}",
        "new_institution_name": "Ministerio de Relaciones Exteriores",
        "new_institution_kind": "ministry_foreign_affairs",
        "consent": True,
    }


def _text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return unfold(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def scan(needles: list[str]) -> dict[str, list[str]]:
    """Every table.column whose value contains one of the needles (case-insensitive), with
    the needles found; reads every string, text, JSON and binary column of every table."""
    found: dict[str, list[str]] = {}
    lowered = [n.lower() for n in needles]
    for table in _db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON | LargeBinary)]
        if not columns:
            continue
        for row in _db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = _text_of(value).lower()
                hits = [n for n in lowered if n in text]
                if hits:
                    key = f"{table.name}.{column.name}"
                    found[key] = sorted(set(found.get(key, [])) | set(hits))
    return found


@pytest.fixture()
def world(client, db, make_user, bearer):
    """Two people registered through the API, invited, speaking on a published agenda,
    with stored calendars and messages; one of them also has an account."""
    event = create_open_event(slug="lemkin-2026", capacity=10)
    staff = make_user("staff")
    headers = bearer(staff)
    url = f"/api/v1/events/{event.slug}/registrations"
    people, keys = {}, {}
    for key, (first, last), email in (
        ("erased", ERASED_NAMES, ERASED_EMAIL),
        ("kept", KEPT_NAMES, KEPT_EMAIL),
    ):
        keys[key] = str(uuid.uuid4())
        response = client.post(
            url, json=_applicant(first, last, email), headers={"Idempotency-Key": keys[key]}
        )
        assert response.status_code == 202, response.get_json()
        people[key] = db.session.scalar(select(Person).where(Person.email == email))

    # Both invited to a second event in one API call: one stored answer names both.
    other = create_open_event(slug="focal-points-2026")
    invited = client.post(
        f"/api/v1/events/{other.slug}/invitations",
        json={"invitees": [{"email": ERASED_EMAIL}, {"email": KEPT_EMAIL}]},
        headers={**headers, "Idempotency-Key": "invite-both"},
    )
    assert invited.status_code == 201, invited.get_json()

    # Both speak at one session, whose description names them; the agenda is published
    # (a version, iMIP updates to the registrants) and the calendars are stored.
    day = event.start_date
    agenda_service.add_item(
        event.id,
        agenda_service.ItemInput(
            kind="session",
            day=day,
            start=time(10),
            end=time(11),
            title="Opening: early warning",
            description=f"Introduced by {' '.join(ERASED_NAMES)} and {' '.join(KEPT_NAMES)}.",
            speakers=[
                agenda_service.SpeakerInput(
                    name=" ".join(ERASED_NAMES), affiliation="Cancillería", email=ERASED_EMAIL
                ),
                agenda_service.SpeakerInput(
                    name=" ".join(KEPT_NAMES), affiliation="MRE", email=KEPT_EMAIL
                ),
            ],
        ),
    )
    agenda_service.publish(event.id, user_id=staff.id)
    db.session.commit()
    calendars_service.rebuild_event(event.id)
    # Earlier versions stored each participant's own calendar; such files may remain.
    for person in people.values():
        registration = db.session.scalar(
            select(Registration).where(Registration.person_id == person.id)
        )
        calendars_service.store(
            f"calendar/registration/{registration.id}/es.ics",
            build.registration_calendar(registration, "es"),
        )
    db.session.commit()

    # The person also has an account (a focal point), and both receive the bulletin.
    account = User(email=ERASED_EMAIL, person=people["erased"], password_hash="x")
    db.session.add(account)
    for first, last, email in ((*ERASED_NAMES, ERASED_EMAIL), (*KEPT_NAMES, KEPT_EMAIL)):
        db.session.add(Contact(email=email, name=f"{first} {last}", position=f"Jefa {last}"))
    db.session.commit()
    event.retry_keys = keys  # the test of replays uses them
    return event, people, staff


def test_the_scan_finds_the_data_before_erasure(world):
    found = scan([*ERASED_NAMES, ERASED_EMAIL])
    # Each place the erasure must reach holds the person before it runs.
    for column in (
        "people.first_name",
        "people.email",
        "outbox_messages.recipient_email",
        "outbox_messages.calendar_ics",
        "outbox_messages.context",
        "agenda_versions.items",
        "agenda_items.description",
        "stored_files.content",
        "api_idempotency_keys.response_body",
        "invitations.email",
        "users.email",
        "bulletin_contacts.name",
    ):
        assert column in found, column


def test_erasure_leaves_no_trace_of_the_person_in_any_column(client, db, login, world):
    event, people, staff = world
    erased, kept = people["erased"], people["kept"]
    login(client, staff)
    response = client.post(f"/staff/people/{erased.id}/erase", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()

    assert scan([*ERASED_NAMES, ERASED_EMAIL]) == {}

    # The other person is untouched everywhere the erased one was blanked.
    still = scan([*KEPT_NAMES, KEPT_EMAIL])
    for column in (
        "people.first_name",
        "outbox_messages.recipient_email",
        "outbox_messages.calendar_ics",
        "agenda_versions.items",
        "agenda_items.description",
        "api_idempotency_keys.response_body",
        "invitations.email",
        "bulletin_contacts.email",
    ):
        assert column in still, column

    # The agenda keeps the session and the other speaker, in the draft and in the version.
    version = agenda_service.latest_version(event.id)
    [item] = version.items
    assert [s["person_id"] for s in item["speakers"]] == [kept.id]
    assert item["description"] == f"Introduced by [erased] and {' '.join(KEPT_NAMES)}."
    public = client.get(f"/events/{event.slug}/agenda").get_data(as_text=True)
    assert KEPT_NAMES[1] in public and ERASED_NAMES[1] not in public

    # The stored answer of the invitation call keeps the other invitee, and a retry of the
    # erased person's registration is answered from the blanked copy, not registered again.
    invited = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "invite-both"))
    emails = [i["email"] for i in invited.response_body["created"]]
    assert emails == ["[erased]", KEPT_EMAIL]
    count = len(db.session.scalars(select(Registration)).all())
    retry = client.post(
        f"/api/v1/events/{event.slug}/registrations",
        json=_applicant(*ERASED_NAMES, ERASED_EMAIL),
        headers={"Idempotency-Key": event.retry_keys["erased"]},
    )
    assert retry.status_code == 202 and retry.headers["Idempotent-Replayed"] == "true"
    # (The API's answer never named the person: "check your inbox", issue 14 item 1.)
    assert ERASED_NAMES[1] not in retry.get_data(as_text=True)
    assert len(db.session.scalars(select(Registration)).all()) == count

    # Messages to the person stay as delivery records, without content; the iMIP to the
    # other person still carries their calendar.
    for message in db.session.scalars(select(OutboxMessage)):
        if message.recipient_email.endswith("@erased.invalid"):
            assert message.context == {} and message.calendar_ics is None
    # Calendars naming the person (their own; those with the agenda, which listed them as a
    # speaker) were deleted, to be built again without them; the others are still stored.
    keys = set(db.session.scalars(select(StoredFile.key)))
    assert not any(k.endswith("-agenda.ics") for k in keys)
    registration_files = {
        db.session.scalar(
            select(Registration.person_id).where(Registration.id == int(k.split("/")[2]))
        )
        for k in keys
        if k.startswith("calendar/registration/")
    }
    assert registration_files == {kept.id}
    assert f"calendar/event/{event.id}/es.ics" in keys
    rebuilt = client.get(f"/events/{event.slug}/calendar.ics?agenda=1&lang=es")
    text = unfold(rebuilt.get_data(as_text=True))
    assert rebuilt.status_code == 200 and " ".join(KEPT_NAMES) in text
    assert ERASED_NAMES[1] not in text


def test_erasure_is_one_transaction(db, world, monkeypatch):
    """An eraser that fails leaves everything as it was: no half-erased person."""
    from lanet.core import personal_data

    _event, people, _staff = world
    failing = personal_data.PersonalData(
        name="zz.failing",
        columns={},
        erase=lambda person: (_ for _ in ()).throw(RuntimeError("disk on fire")),
        order=500,
    )
    monkeypatch.setitem(personal_data._registry.entries, failing.name, failing)
    before = scan([ERASED_EMAIL])
    with pytest.raises(RuntimeError):
        privacy_service.erase_person(people["erased"].id)
    db.session.expire_all()
    assert db.session.get(Person, people["erased"].id).erased_at is None
    assert scan([ERASED_EMAIL]) == before


def test_export_has_every_features_part(client, db, login, world):
    event, people, staff = world
    login(client, staff)
    data = client.get(f"/staff/people/{people['erased'].id}/export").get_json()
    parts = data["parts"]
    assert parts["network.person"]["email"] == ERASED_EMAIL
    assert parts["accounts.account"]["email"] == ERASED_EMAIL
    assert [r["event"] for r in parts["registration.registrations"]] == [event.slug]
    assert [i["event"] for i in parts["registration.invitations"]] == ["focal-points-2026"]
    speaking = parts["agenda.speakers"]
    assert [(s["event"], s["session"], s["affiliation"]) for s in speaking["draft"]] == [
        (event.slug, "Opening: early warning", "Cancillería")
    ]
    assert [(s["version"], s["name"]) for s in speaking["published"]] == [
        (1, " ".join(ERASED_NAMES))
    ]
    templates = sorted(m["template"] for m in parts["mail.outbox"])
    assert "agenda_update" in templates and "invitation" in templates
    assert parts["core.audit"], "the registration's audit entries name the person"
    assert parts["attendance.attendance"] == {"days": [], "summary_subscriptions": []}
    # Every declaration with an exporter has its part, and the document is JSON.
    from lanet.core.personal_data import declared

    assert set(parts) == {e.name for e in declared() if e.export is not None}
    assert data["person_id"] == people["erased"].id
