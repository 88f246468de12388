"""Organizer and focal-point pages: approval, exports, invitations and nominations."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lanet.attendance.models import Attendance
from lanet.events.models import Cycle, Series
from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from lanet.registration import nominations, waitlist
from lanet.registration.models import Invitation, Registration
from tests.fixtures.registration import run_import_jobs


@pytest.fixture()
def client(fresh_client):
    return fresh_client


def _reg(db, email) -> Registration:
    db.session.expire_all()
    return db.session.scalar(select(Registration).join(Person).where(Person.email == email.lower()))


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _templates(db) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.template).order_by(OutboxMessage.id)))


@pytest.fixture()
def approval_event(make_event, client, applicant, db):
    event = make_event(capacity=2, requires_approval=True)
    emails = []
    for _ in range(3):
        values = applicant()
        emails.append(values["email"])
        assert client.post(f"/events/{event.slug}/register", data=values).status_code == 302
    return event, emails


def test_pages_are_protected(db, client, make_user, sign_in, approval_event):
    event, _emails = approval_event
    pages = [
        f"/manage/events/{event.slug}/registrations",
        f"/manage/events/{event.slug}/registrations.csv",
        f"/manage/events/{event.slug}/invitations",
        "/focal-point/nominations",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    other = make_user(None)
    sign_in(client, other)
    for page in pages:
        assert client.get(page).status_code in (403, 404)
    assert (
        client.post(
            f"/manage/events/{event.slug}/registrations/decide",
            data={"action": "approve", "registration": ["1"]},
        ).status_code
        == 403
    )
    assert _reg(db, _emails[0]).status == "pending"


def test_organizer_approves_in_bulk_and_declines_with_reason(
    db, client, make_user, sign_in, approval_event
):
    event, emails = approval_event
    assert [_reg(db, e).status for e in emails] == ["pending"] * 3
    assert _templates(db) == ["registration_pending"] * 3
    sign_in(client, make_user("organizer", event=event))
    page = client.get(f"/manage/events/{event.slug}/registrations?status=pending")
    assert page.status_code == 200
    assert page.data.count(b'name="registration"') == 3
    ids = [str(_reg(db, e).id) for e in emails]
    response = client.post(
        f"/manage/events/{event.slug}/registrations/decide",
        data={"action": "approve", "registration": ids},
    )
    assert response.status_code == 302
    assert [_reg(db, e).status for e in emails] == ["confirmed", "confirmed", "waitlisted"]
    # Declining needs a reason and then frees the seat for the waiting list.
    before = _templates(db)
    no_reason = client.post(
        f"/manage/events/{event.slug}/registrations/decide",
        data={"action": "decline", "registration": ids[:1], "reason": "  "},
    )
    assert no_reason.status_code == 302
    assert _reg(db, emails[0]).status == "confirmed" and _templates(db) == before
    client.post(
        f"/manage/events/{event.slug}/registrations/decide",
        data={"action": "decline", "registration": ids[:1], "reason": "Cupo del ministerio"},
    )
    declined = _reg(db, emails[0])
    assert declined.status == "declined" and declined.decline_reason == "Cupo del ministerio"
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "registration_declined")
    )
    assert mail.context["reason"] == "Cupo del ministerio" and mail.calendar_method == "CANCEL"
    assert waitlist.promote_waiting_list(event.id) == [_reg(db, emails[2]).id]


def test_registrations_of_another_event_cannot_be_decided(
    db, client, make_user, sign_in, make_event, applicant, approval_event
):
    event, emails = approval_event
    other = make_event(requires_approval=True)
    values = applicant()
    client.post(f"/events/{other.slug}/register", data=values)
    sign_in(client, make_user("organizer", event=event))
    client.post(
        f"/manage/events/{event.slug}/registrations/decide",
        data={"action": "approve", "registration": [str(_reg(db, values["email"]).id)]},
    )
    assert _reg(db, values["email"]).status == "pending"


def test_exports_csv_and_xlsx(db, client, make_user, sign_in, approval_event):
    event, emails = approval_event
    sign_in(client, make_user("staff"))
    csv_response = client.get(f"/manage/events/{event.slug}/registrations.csv?status=pending")
    assert csv_response.status_code == 200
    text = csv_response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,status,role,first_name")
    assert all(e in text for e in emails)
    xlsx = client.get(f"/manage/events/{event.slug}/registrations.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 4 and sheet["F2"].value in emails
    assert client.get(f"/manage/events/{event.slug}/registrations.pdf").status_code == 404


def test_export_neutralises_formulas(db, client, make_user, sign_in, make_event, applicant):
    event = make_event()
    client.post(f"/events/{event.slug}/register", data=applicant(first_name="=HYPERLINK(1)"))
    sign_in(client, make_user("staff"))
    text = client.get(f"/manage/events/{event.slug}/registrations.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_invitations_typed_csv_states_and_reminders(
    db, client, make_user, sign_in, make_event, applicant
):
    event = make_event()
    sign_in(client, make_user("organizer", event=event))
    bad = client.post(
        f"/manage/events/{event.slug}/invitations",
        data={"typed-emails": "a@example.org, not-an-address", "typed-language": "es"},
    )
    assert bad.status_code == 422 and b"not-an-address" in bad.data
    assert _count(db, Invitation) == 0
    ok = client.post(
        f"/manage/events/{event.slug}/invitations",
        data={
            "typed-emails": "a@example.org\nB@example.org; a@example.org",
            "typed-language": "pt",
        },
    )
    assert ok.status_code == 302
    assert _count(db, Invitation) == 2
    csv_bad = io.BytesIO(b"email,language\nc@example.org,es\nnope,xx\nd@example.org,fr\n")
    response = client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (csv_bad, "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"<td>3</td>" in response.data
    assert b"<td>4</td>" in response.data
    assert _count(db, Invitation) == 2
    csv_ok = io.BytesIO(b"email,language\nc@example.org,en\na@example.org,es\n")
    client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (csv_ok, "list.csv")},
        content_type="multipart/form-data",
    )
    assert _count(db, Invitation) == 2  # a worker sends a file's invitations
    run_import_jobs()
    assert _count(db, Invitation) == 3  # a@ was already invited
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "c@example.org"))
    assert invitation.language == "en"
    # The personal link: opened, then registered through it.
    client.get(f"/invitations/{invitation.token}")
    form = client.get(f"/events/{event.slug}/register?invitation={invitation.token}")
    assert b"c@example.org" in form.data
    values = applicant(email="c@example.org", invitation=invitation.token)
    assert client.post(f"/events/{event.slug}/register", data=values).status_code == 302
    assert _reg(db, "c@example.org").invitation_id == invitation.id
    declined = db.session.scalar(select(Invitation).where(Invitation.email == "b@example.org"))
    client.post(f"/invitations/{declined.token}/decline")
    page = client.get(f"/manage/events/{event.slug}/invitations")
    assert page.data.count(b'data-state="registered"') == 1
    assert page.data.count(b'data-state="declined"') == 1
    assert page.data.count(b'data-state="invited"') == 1
    client.post(f"/manage/events/{event.slug}/invitations/remind")
    reminders = db.session.scalars(
        select(OutboxMessage.recipient_email).where(OutboxMessage.template == "invitation_reminder")
    ).all()
    assert reminders == ["a@example.org"]
    client.post(f"/manage/events/{event.slug}/invitations/remind")  # not again the same day
    assert _templates(db).count("invitation_reminder") == 1
    assert client.get("/invitations/unknown").status_code == 404


def test_invite_all_focal_points_and_part_one_attendees(
    db, client, make_user, sign_in, make_event, applicant
):
    series = Series(code="lemkin", name_translations={"en": "Lemkin"})
    cycle = Cycle(series=series, number=3)
    db.session.add_all([series, cycle])
    db.session.commit()
    part1 = make_event(cycle_id=cycle.id, part_number=1)
    part2 = make_event(cycle_id=cycle.id, part_number=2)
    attended, absent = applicant(), applicant()
    for values in (attended, absent):
        client.post(f"/events/{part1.slug}/register", data=values)
    db.session.add(Attendance(registration_id=_reg(db, attended["email"]).id, day=part1.start_date))
    db.session.commit()
    focal = make_user("focal_point", country="PE", email="fp.peru@example.org")
    sign_in(client, make_user("organizer", event=part2))
    client.post(f"/manage/events/{part2.slug}/invitations/previous-part")
    client.post(f"/manage/events/{part2.slug}/invitations/focal-points")
    emails = set(
        db.session.scalars(select(Invitation.email).where(Invitation.event_id == part2.id))
    )
    assert emails == {attended["email"], focal.email}
    # Part 1 itself has no earlier part: a message, nothing written.
    sign_in(client, make_user("organizer", event=part1))
    response = client.post(f"/manage/events/{part1.slug}/invitations/previous-part")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).where(Invitation.event_id == part1.id)) == 0


NOMINATION_CSV = (
    "first_name,last_name,email,institution,position,language\n"
    "Rosa,Quispe,rosa@example.org,Cancillería,Directora,es\n"
    ",Mamani,luis@example.org,Cancillería,,es\n"
    "Juan,Flores,not-an-email,,,,\n"
    "Rosa,Quispe,rosa@example.org,,,pt\n"
    "Eva,Lima,eva@example.org,,,fr\n"
    f"Ana,Silva,ana@example.org,,{'x' * 300},es\n"
)


def test_nominations_csv_with_bad_rows_imports_nothing(db, client, make_user, sign_in, make_event):
    event = make_event()
    sign_in(client, make_user("focal_point", country="PE"))
    before = (_count(db, Person), _count(db, Invitation), _count(db, OutboxMessage))
    response = client.post(
        "/focal-point/nominations/csv",
        data={
            "csv-event": str(event.id),
            "csv-file": (io.BytesIO(NOMINATION_CSV.encode()), "n.csv"),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for row in (3, 4, 5, 6, 7):
        assert f"<td>{row}</td>" in body
    assert "<td>2</td>" not in body
    assert "appears twice" in body and "Language must be" in body and "Too long: position" in body
    assert (_count(db, Person), _count(db, Invitation), _count(db, OutboxMessage)) == before


def test_nominations_one_by_one_and_from_csv(db, client, make_user, sign_in, make_event, applicant):
    event = make_event()
    focal = make_user("focal_point", country="PE")
    sign_in(client, focal)
    assert client.get("/focal-point/nominations").status_code == 200
    good_csv = "first_name;last_name;email;institution;position;language\nRosa;Quispe;rosa@example.org;Cancillería;Directora;pt\n"
    response = client.post(
        "/focal-point/nominations/csv",
        data={"csv-event": str(event.id), "csv-file": (io.BytesIO(good_csv.encode()), "n.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    one = client.post(
        "/focal-point/nominations",
        data={
            "one-event": str(event.id),
            "one-first_name": "Luis",
            "one-last_name": "Mamani",
            "one-email": "luis@example.org",
            "one-language": "es",
        },
    )
    assert one.status_code == 302
    twice = client.post(
        "/focal-point/nominations",
        data={
            "one-event": str(event.id),
            "one-first_name": "Luis",
            "one-last_name": "Mamani",
            "one-email": "luis@example.org",
            "one-language": "es",
        },
    )
    assert twice.status_code == 422
    rosa = db.session.scalar(select(Person).where(Person.email == "rosa@example.org"))
    assert rosa.country_code == "PE" and rosa.institution.name == "Cancillería"
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient_email == "rosa@example.org")
    )
    assert mail.template == "nomination" and mail.language == "pt"
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "rosa@example.org"))
    assert nominations.is_nomination(invitation)
    # The nominee completes the registration through the link: the nomination is recorded.
    client.get("/logout")
    page = client.get(f"/invitations/{invitation.token}", headers={"Accept-Language": "en"})
    assert b"nominated you" in page.data
    form = client.get(f"/events/{event.slug}/register?invitation={invitation.token}")
    assert b"Quispe" in form.data
    values = applicant(
        email="rosa@example.org",
        country="PE",
        invitation=invitation.token,
        first_name="Rosa",
        last_name="Quispe",
    )
    assert client.post(f"/events/{event.slug}/register", data=values).status_code == 302
    registration = _reg(db, "rosa@example.org")
    assert registration.nominated_by_id == focal.id and registration.status == "confirmed"


def test_focal_point_cannot_nominate_for_another_country(
    db, client, make_user, sign_in, make_event
):
    make_event()
    sign_in(client, make_user("focal_point", country="PE"))
    assert client.get("/focal-point/nominations?country=AR").status_code == 403
    assert client.get("/focal-point/nominations?country=PE").status_code == 200
    assert client.get("/focal-point/nominations?country=Z%27Z").status_code == 404


def test_focal_points_and_organizers_find_their_pages(db, client, make_user, sign_in, make_event):
    event = make_event()
    sign_in(client, make_user("focal_point", country="PE"))
    assert b'href="/focal-point/nominations"' in client.get("/events").data
    sign_in(client, make_user("organizer", event=event))
    page = client.get(f"/events/{event.slug}").data
    assert f'href="/manage/events/{event.slug}/registrations"'.encode() in page
    assert b'href="/focal-point/nominations"' not in page


def test_invitation_file_that_is_not_utf8_text_is_refused(
    db, client, make_user, sign_in, make_event
):
    event = make_event()
    sign_in(client, make_user("organizer", event=event))
    latin1 = io.BytesIO("email\nJosé.Peña@example.org\n".encode("latin-1"))
    response = client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (latin1, "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert b"UTF-8" in response.data
    assert _count(db, Invitation) == 0


def test_focal_point_sees_the_seats_left_for_their_country(
    db, client, make_user, sign_in, make_event
):
    """Issue 15, item 4: per-country availability for the country's focal point."""
    from lanet.registration import service

    quota_event = make_event(capacity=10, quotas={"AR": 2}, slug="lemkin-quota-fp")
    shared = make_event(capacity=5, slug="workshop-shared-fp")
    service.register(
        quota_event.id,
        service.Applicant(
            first_name="Ana",
            last_name="Quota",
            email="ana.quota@example.org",
            country_code="AR",
            new_institution_name="Cancillería",
            consent=True,
        ),
    )
    sign_in(client, make_user("focal_point", country="AR"))
    page = client.get("/focal-point/nominations?lang=en").text
    assert "Seats for Argentina" in page
    row = page.split(f'data-event="{quota_event.slug}"')[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:4]] == ["2", "1", "1"]
    row = page.split(f'data-event="{shared.slug}"')[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:4]] == ["5", "0", "5"]


def test_reminder_schedule_refuses_what_is_not_a_number_of_days(
    db, client, make_user, sign_in, make_event
):
    """ "²" passes str.isdigit but not int(): a field error, not a 500 (the route walk)."""
    event = make_event(slug="lemkin-schedule-bad")
    sign_in(client, make_user("organizer", event=event))
    url = f"/manage/events/{event.slug}/invitations/reminder-schedule?lang=en"
    for bad in ("²", "0", "7,x", "400"):
        answer = client.post(url, data={"reminder_days": bad})
        assert answer.status_code == 422, bad
        assert "between 1 and 365" in answer.text
    assert client.post(url, data={"reminder_days": "2, 7"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(event), event.id).reminder_days == "7,2"
