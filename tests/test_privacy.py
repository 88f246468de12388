"""Data-protection duties: a person's data exported as JSON, and erased without moving totals."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from lanet.accounts.models import User, UserRole
from lanet.attendance.models import Attendance, AttendanceTotal
from lanet.core import audit
from lanet.core.audit import AuditEntry
from lanet.mail.models import OutboxMessage
from lanet.mail.service import queue_message
from lanet.network.models import Institution, Person
from lanet.privacy import service as privacy_service
from lanet.registration.models import Invitation, Registration
from tests.fixtures.accounts import ensure_country, new_event


def _person(db, first: str, last: str, country: str, gender: str = "female") -> Person:
    ensure_country(country)
    institution = Institution(
        name=f"Ministry {country} {first}", country_code=country, kind="ombudsman"
    )
    person = Person(
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@gov.example",
        country_code=country,
        institution=institution,
        position="Director of Human Rights",
        gender=gender,
        consent_contact=True,
    )
    db.session.add(person)
    db.session.flush()
    return person


def _attend(db, person: Person, event, days: int, status: str = "confirmed") -> Registration:
    registration = Registration(
        person=person,
        event=event,
        status=status,
        seat_country_code=person.country_code,
        decline_reason=None,
    )
    db.session.add(registration)
    db.session.flush()
    for day in range(days):
        db.session.add(Attendance(registration_id=registration.id, day=date(2015, 5, 4 + day)))
    return registration


@pytest.fixture()
def seminar(db):
    """A national seminar with four people from two countries, one of whom will be erased."""
    event = new_event("seminar-ar-2015", country="AR")
    marta = _person(db, "Marta", "Quispe", "AR")
    others = [
        _person(db, "Jorge", "Silva", "AR", "male"),
        _person(db, "Ana", "Souza", "BR"),
        _person(db, "Luis", "Rojas", "BR", "male"),
    ]
    registration = _attend(db, marta, event, days=3)
    for index, person in enumerate(others):
        _attend(db, person, event, days=index + 1)
    invitation = Invitation(event_id=event.id, email=marta.email, person_id=marta.id)
    db.session.add(invitation)
    queue_message(
        to=marta.email,
        name=marta.full_name,
        template="test_message",
        language="es",
        context={"note": "Marta Quispe, bienvenida"},
    )
    audit.record(
        "registration_created",
        "registration",
        registration.id,
        event_id=event.id,
        person_id=marta.id,
        changes={
            "first_name": "Marta",
            "email": marta.email,
            "status": "confirmed",
            "comment": {"text": "called Marta Quispe"},
            "history": ["Quispe asked", "ok"],
        },
    )
    audit.record("event_updated", "event", event.id, event_id=event.id, changes={"title": "x"})
    db.session.commit()
    return event, marta


def _counts(db) -> dict[str, object]:
    by_country = db.session.execute(
        select(Person.country_code, Person.gender, Institution.kind, func.count(Attendance.id))
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .join(Institution, Person.institution_id == Institution.id)
        .group_by(Person.country_code, Person.gender, Institution.kind)
        .order_by(Person.country_code, Person.gender, Institution.kind)
    ).all()
    by_status = db.session.execute(
        select(Registration.event_id, Registration.status, func.count())
        .group_by(Registration.event_id, Registration.status)
        .order_by(Registration.event_id, Registration.status)
    ).all()
    return {
        "by_country": [tuple(r) for r in by_country],
        "by_status": [tuple(r) for r in by_status],
    }


def _stored_totals(db) -> list[tuple]:
    from lanet.attendance.totals import compile_totals

    compile_totals()
    rows = db.session.scalars(select(AttendanceTotal)).all()
    columns = [
        c.name for c in AttendanceTotal.__table__.columns if c.name not in {"id", "compiled_at"}
    ]
    return sorted(tuple(getattr(row, c) for c in columns) for row in rows)


def test_export_holds_everything_about_the_person(client, db, make_user, login, seminar):
    event, marta = seminar
    login(client, make_user("staff"))
    response = client.get(f"/staff/people/{marta.id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["person_id"] == marta.id
    parts = data["parts"]
    assert parts["network.person"]["last_name"] == "Quispe"
    assert parts["network.person"]["email"] == "marta.quispe@gov.example"
    assert [r["event"] for r in parts["registration.registrations"]] == ["seminar-ar-2015"]
    assert len(parts["attendance.attendance"]["days"]) == 3
    assert parts["registration.invitations"][0]["email"] == marta.email
    assert [m["template"] for m in parts["mail.outbox"]] == ["test_message"]
    assert parts["mail.outbox"][0]["context"] == {"note": "Marta Quispe, bienvenida"}
    assert [e["action"] for e in parts["core.audit"]] == ["registration_created"]
    assert parts["accounts.account"] is None
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action == "person_exported")) == 1
    )


def test_erasure_blanks_personal_data_everywhere_and_keeps_totals(
    client, db, make_user, login, seminar
):
    event, marta = seminar
    account = User(email=marta.email, person=marta, password_hash="x")
    account.roles.append(UserRole(role="focal_point", country_code="AR"))
    db.session.add(account)
    db.session.commit()
    counts_before = _counts(db)
    totals_before = _stored_totals(db)
    attendance_before = db.session.scalar(select(func.count()).select_from(Attendance))

    login(client, make_user("staff"))
    page = client.get(f"/staff/people/{marta.id}/erase")
    assert page.status_code == 200 and "Quispe" in page.get_data(as_text=True)
    response = client.post(f"/staff/people/{marta.id}/erase", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()

    erased = db.session.get(Person, marta.id)
    assert erased.erased_at is not None
    assert (erased.first_name, erased.last_name, erased.email, erased.position) == (
        "",
        "",
        None,
        None,
    )
    assert erased.consent_contact is False
    assert (erased.country_code, erased.gender) == ("AR", "female")

    assert _counts(db) == counts_before
    assert _stored_totals(db) == totals_before
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == attendance_before

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration_created"))
    assert entry.changes["first_name"] == "[erased]"
    assert entry.changes["email"] == "[erased]"
    assert entry.changes["status"] == "confirmed"
    assert entry.changes["comment"] == "[erased]"
    assert entry.changes["history"] == ["[erased]", "ok"]
    untouched = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event_updated"))
    assert untouched.changes == {"title": "x"}
    logged = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person_erased"))
    assert logged.object_id == marta.id and logged.changes == {}

    message = db.session.scalar(select(OutboxMessage))
    assert message.status == "failed" and "marta" not in message.recipient_email
    assert message.context == {} and message.recipient_name is None
    invitation = db.session.scalar(select(Invitation))
    assert "marta" not in invitation.email

    user = db.session.get(User, account.id)
    assert not user.active and user.roles == [] and "marta" not in user.email

    everything = json.dumps(
        [e.changes for e in db.session.scalars(select(AuditEntry))], ensure_ascii=False
    ).lower()
    assert "quispe" not in everything and "marta" not in everything


def test_erasure_needs_the_confirmation_and_happens_once(client, db, make_user, login, seminar):
    _event, marta = seminar
    login(client, make_user("staff"))
    response = client.post(f"/staff/people/{marta.id}/erase", data={})
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, marta.id).erased_at is None

    privacy_service.erase_person(marta.id)
    with pytest.raises(privacy_service.AlreadyErased):
        privacy_service.erase_person(marta.id)
    again = client.post(f"/staff/people/{marta.id}/erase", data={"confirm": "y"})
    assert again.status_code == 400
    assert client.get(f"/staff/people/{marta.id + 999}/erase").status_code == 404
    assert client.get(f"/staff/people/{marta.id + 999}/export").status_code == 404


def test_people_page_finds_by_name_and_email(client, db, make_user, login, seminar):
    login(client, make_user("staff"))
    html = client.get("/staff/people?q=quispe").get_data(as_text=True)
    assert "Marta Quispe" in html and "Jorge" not in html
    html = client.get("/staff/people?q=SOUZA@gov").get_data(as_text=True)
    assert "Ana Souza" in html


@pytest.mark.slow
def test_erasing_demo_participants_keeps_the_annual_report(seeded, db):
    """On the Network's demo data: erase ten people who attended; every stored total and
    the annual report's tables stay the same."""
    from flask_babel import force_locale

    from lanet.attendance.report import annual_report

    attendees = db.session.scalars(
        select(Registration.person_id)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .distinct()
        .order_by(Registration.person_id)
        .limit(10)
    ).all()
    assert len(attendees) == 10
    totals_before = _stored_totals(db)
    with force_locale("es"):
        report_before = [t.rows for t in annual_report(2014, "es")]
    for person_id in attendees:
        privacy_service.erase_person(person_id)
    assert _stored_totals(db) == totals_before
    with force_locale("es"):
        assert [t.rows for t in annual_report(2014, "es")] == report_before


def test_the_command_line_exports_and_erases_through_the_same_service(app, db, seminar):
    _event, marta = seminar
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["privacy", "export", str(marta.id)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["parts"]["network.person"]["last_name"] == "Quispe"

    refused = runner.invoke(args=["privacy", "erase", str(marta.id)], input="n\n")
    assert refused.exit_code != 0
    db.session.expire_all()
    assert db.session.get(Person, marta.id).erased_at is None

    erased = runner.invoke(args=["privacy", "erase", str(marta.id), "--yes"])
    assert erased.exit_code == 0 and f"person {marta.id} erased" in erased.output
    db.session.expire_all()
    assert db.session.get(Person, marta.id).email is None
    again = runner.invoke(args=["privacy", "erase", str(marta.id), "--yes"])
    assert again.exit_code != 0 and "already erased" in again.output
    missing = runner.invoke(args=["privacy", "export", str(marta.id + 999)])
    assert missing.exit_code != 0 and "no person" in missing.output
