"""Registration: seats and quotas, the waiting list, approval, the private link, emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.events.models import Event, EventQuota
from lanet.mail import compose
from lanet.mail.models import OutboxMessage
from lanet.network.models import Institution, Person
from lanet.registration import errors, imports, notifications, seats, service, waitlist
from lanet.registration.models import Registration


@pytest.fixture()
def client(fresh_client):
    return fresh_client


def _register(client, event, values):
    return client.post(f"/events/{event.slug}/register", data=values)


def _reg(db, email) -> Registration:
    db.session.expire_all()
    return db.session.scalar(select(Registration).join(Person).where(Person.email == email.lower()))


def _counts(db) -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Registration, Person, OutboxMessage, Institution)
    )


def _seats(db, event_id) -> tuple[int, dict[str, int]]:
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    return event.seats_confirmed, {q.country_code: q.seats_confirmed for q in event.quotas}


def _mails(db, template=None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query))


def test_register_confirms_a_seat_with_email_and_calendar(client, db, make_event, applicant):
    event = make_event(capacity=3)
    values = applicant(language="pt")
    response = _register(client, event, values)
    assert response.status_code == 302
    registration = _reg(db, values["email"])
    # The private link goes to the inbox only; the page says so (issue 14 item 1).
    assert response.headers["Location"].endswith(f"/events/{event.slug}/register/sent")
    assert registration.status == "confirmed"
    assert registration.person.institution.name == "Ministerio de Relaciones Exteriores"
    assert registration.person.consent_data_processing_at is not None
    assert _seats(db, event.id)[0] == 1
    [mail] = _mails(db)
    assert mail.template == "registration_confirmed"
    assert mail.language == "pt"
    assert mail.recipient_email == values["email"]
    assert mail.calendar_method == "REQUEST"
    # The request stores no calendar: the mail worker builds it when it renders the message.
    assert mail.calendar_ics is None
    assert mail.context["calendar_registration_id"] == registration.id
    built = compose.build(mail, "lanet@example.org")
    [part] = [p for p in built.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    ics = part.get_payload(decode=True).replace(b"\r\n ", b"")  # unfolded
    assert b"BEGIN:VCALENDAR" in ics and b"PARTSTAT=ACCEPTED" in ics
    assert registration.person.email.encode() in ics
    assert mail.context["manage_url"].endswith(registration.manage_token)
    assert mail.context["event_title"] == "Seminário Raphael Lemkin"
    page = client.get(f"/r/{registration.manage_token}?new=1", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert b"You are registered" in page.data


def test_full_event_puts_registrants_on_the_waiting_list_in_order(
    db, client, make_event, applicant
):
    event = make_event(capacity=2)
    emails = []
    for number in range(4):
        values = applicant(number=100 + number)
        emails.append(values["email"])
        assert _register(client, event, values).status_code == 302
    statuses = [_reg(db, e).status for e in emails]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    waiting = [_reg(db, e) for e in emails[2:]]
    assert waiting[0].waitlisted_at <= waiting[1].waitlisted_at
    assert _seats(db, event.id)[0] == 2
    assert [m.template for m in _mails(db)][-2:] == ["registration_waitlisted"] * 2


def test_country_quota_holds_and_its_seats_stay_reserved(db, client, make_event, applicant):
    event = make_event(capacity=3, quotas={"AR": 1, "BR": 1})
    ar1, ar2 = applicant(country="AR"), applicant(country="AR")
    mx1, mx2 = applicant(country="MX"), applicant(country="MX")
    for values in (ar1, ar2, mx1, mx2):
        _register(client, event, values)
    assert _reg(db, ar1["email"]).status == "confirmed"
    assert _reg(db, ar1["email"]).seat_country_code == "AR"
    assert _reg(db, ar2["email"]).status == "waitlisted"  # AR's quota is full
    assert _reg(db, mx1["email"]).status == "confirmed"  # the one seat outside the quotas
    # The third seat is Brazil's until a Brazilian takes it.
    assert _reg(db, mx2["email"]).status == "waitlisted"
    br = applicant(country="BR")
    _register(client, event, br)
    assert _reg(db, br["email"]).status == "confirmed"
    assert _seats(db, event.id) == (3, {"AR": 1, "BR": 1})


def test_database_refuses_a_counter_beyond_capacity(db, make_event):
    """The last line of defence holds on every database: a CHECK constraint."""
    from sqlalchemy.exc import IntegrityError

    event = make_event(capacity=1, quotas={"AR": 1})
    with pytest.raises(IntegrityError):
        db.session.execute(
            Event.__table__.update().where(Event.id == event.id).values(seats_confirmed=2)
        )
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(
            EventQuota.__table__.update()
            .where(EventQuota.event_id == event.id)
            .values(seats_confirmed=2)
        )
    db.session.rollback()


def test_second_registration_changes_nothing_and_sends_the_link_to_the_inbox(
    db, client, make_event, applicant
):
    event = make_event()
    values = applicant()
    _register(client, event, values)
    before = _counts(db)
    again = dict(values, email=values["email"].upper(), first_name="Someone", position="Other")
    response = client.post(
        f"/events/{event.slug}/register", data=again, headers={"Accept-Language": "en"}
    )
    # The same answer as a first registration: whether an address is registered is told to
    # its inbox only, with the private link again (issue 14 item 1).
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.slug}/register/sent")
    counts = _counts(db)
    assert counts == (before[0], before[1], before[2] + 1, before[3])  # one more email only
    assert _reg(db, values["email"]).person.position == "Asesora"
    assert _mails(db, "registration_link")


def test_returning_email_is_recognised_and_its_details_kept(db, client, make_event, applicant):
    first, second = make_event(), make_event()
    values = applicant()
    _register(client, first, values)
    people = db.session.scalar(select(func.count()).select_from(Person))
    _register(client, second, dict(values, first_name="Impostor", country="BR"))
    registrations = list(db.session.scalars(select(Registration).order_by(Registration.event_id)))
    assert [r.event_id for r in registrations] == [first.id, second.id]
    assert registrations[0].person_id == registrations[1].person_id
    assert db.session.scalar(select(func.count()).select_from(Person)) == people
    assert registrations[1].person.first_name == "Ana"
    assert registrations[1].person.country_code == "AR"


BAD_INPUT = [
    ({"email": "not-an-email"}, b"Invalid email"),
    ({"first_name": ""}, b"This field is required"),
    ({"consent": ""}, b"Registration needs your consent"),
    ({"country": "ZZ"}, b"Not a valid choice"),
    ({"institution": "999999", "new_institution_name": ""}, b"Choose an institution"),
    ({"institution": "", "new_institution_name": ""}, b"Choose your institution"),
    ({"role": "emperor"}, b"Not a valid choice"),
    ({"language": "fr"}, b"Not a valid choice"),
    ({"position": "x" * 500}, b"Field cannot be longer"),
]


def test_bad_input_gets_field_errors_and_changes_nothing(db, client, make_event, applicant):
    event = make_event()
    before = _counts(db)
    for change, field_text in BAD_INPUT:
        response = client.post(
            f"/events/{event.slug}/register",
            data=applicant(**change),
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 422, change
        assert field_text in response.data, change
        assert b'aria-invalid="true"' in response.data
    assert _counts(db) == before


def test_form_speaks_spanish_portuguese_and_english(db, client, make_event):
    event = make_event()
    for language, text in (("es", "Nombre"), ("pt", "Nome"), ("en", "First name")):
        page = client.get(f"/events/{event.slug}/register?lang={language}")
        assert page.status_code == 200
        assert text in page.get_data(as_text=True)
    bad = client.post(f"/events/{event.slug}/register?lang=pt", data={"email": "x"})
    assert bad.status_code == 422
    assert "Campo obrigatório" in bad.get_data(as_text=True)


def test_closed_or_unknown_event_refuses_registration(db, client, make_event, applicant):
    closed = make_event(status="closed")
    before = _counts(db)
    assert client.get(f"/events/{closed.slug}/register").status_code == 200
    assert _register(client, closed, applicant()).status_code == 409
    assert _counts(db) == before
    later = make_event(registration_opens_at=utcnow() + timedelta(days=1))
    assert _register(client, later, applicant()).status_code == 409
    assert client.get("/events/nope/register").status_code == 404
    assert _counts(db) == before


def test_private_link_shows_changes_and_downloads_calendar(db, client, make_event, applicant):
    event = make_event()
    values = applicant()
    _register(client, event, values)
    token = _reg(db, values["email"]).manage_token
    page = client.get(f"/r/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and b"Confirmed" in page.data
    response = client.post(
        f"/r/{token}/change",
        data={
            "position": "Directora",
            "language": "en",
            "institution": "",
            "new_institution_name": "Defensoría del Pueblo",
            "new_institution_kind": "ombudsman",
        },
    )
    assert response.status_code == 302
    person = _reg(db, values["email"]).person
    assert (person.position, person.language, person.institution.name) == (
        "Directora",
        "en",
        "Defensoría del Pueblo",
    )
    bad = client.post(f"/r/{token}/change", data={"language": "xx", "institution": ""})
    assert bad.status_code == 422
    assert _reg(db, values["email"]).person.language == "en"
    ics = client.get(f"/r/{token}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert b"BEGIN:VEVENT" in ics.data
    assert client.get("/r/not-a-token").status_code == 404
    assert client.post("/r/not-a-token/cancel").status_code == 404
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.changed"))
    assert audit.actor == "participant link"


def test_cancel_frees_the_seat_and_the_next_is_offered_it(db, client, make_event, applicant):
    event = make_event(capacity=1)
    first, second, third = applicant(), applicant(), applicant()
    for values in (first, second, third):
        _register(client, event, values)
    token = _reg(db, first["email"]).manage_token
    # Asked first: without the answer to the question nothing is cancelled.
    question = client.post(f"/r/{token}/cancel")
    assert question.status_code == 200 and 'name="confirm" value="yes"' in question.text
    assert _reg(db, first["email"]).status == "confirmed"
    assert client.get(f"/r/{token}/cancel").status_code == 200
    assert client.post(f"/r/{token}/cancel", data={"confirm": "yes"}).status_code == 302
    assert _reg(db, first["email"]).status == "cancelled"
    assert _seats(db, event.id)[0] == 0
    cancel_mail = _mails(db, "registration_cancelled")[-1]
    assert cancel_mail.calendar_method == "CANCEL"
    again = client.post(f"/r/{token}/cancel", data={"confirm": "yes"})
    assert again.status_code == 302  # twice: a message, no change
    # The worker's task, run in-process: the seat is offered to the first in line and held.
    from workers.registration import promote_waiting_list

    assert promote_waiting_list(event.id) == [_reg(db, second["email"]).id]
    offered = _reg(db, second["email"])
    assert offered.status == "waitlisted" and offered.offer_expires_at is not None
    assert _seats(db, event.id)[0] == 1
    assert _reg(db, third["email"]).offer_expires_at is None
    offer_mail = _mails(db, "registration_offer")[-1]
    assert offer_mail.recipient_email == second["email"]
    assert offer_mail.context["offer_expires"]
    assert client.post(f"/r/{offered.manage_token}/accept").status_code == 302
    assert _reg(db, second["email"]).status == "confirmed"
    assert _seats(db, event.id)[0] == 1
    assert _mails(db)[-1].template == "registration_confirmed"


def test_unanswered_offer_expires_and_passes_on(app, db, client, make_event, applicant):
    event = make_event(capacity=1)
    first, second, third = applicant(), applicant(), applicant()
    for values in (first, second, third):
        _register(client, event, values)
    service.cancel_registration(_reg(db, first["email"]).manage_token)
    waitlist.promote_waiting_list(event.id)
    assert waitlist.expire_offers() == []  # not yet due
    later = utcnow() + timedelta(hours=app.config["REGISTRATION_OFFER_HOURS"] + 1)
    expired_id = _reg(db, second["email"]).id
    assert waitlist.expire_offers(now=later) == [expired_id]
    assert _reg(db, second["email"]).status == "cancelled"
    assert _reg(db, third["email"]).offer_expires_at is not None
    assert _seats(db, event.id)[0] == 1
    assert _mails(db, "registration_offer_expired")[0].recipient_email == second["email"]
    late = client.post(f"/r/{_reg(db, second['email']).manage_token}/accept")
    assert late.status_code == 302
    assert _reg(db, second["email"]).status == "cancelled"


def test_promotion_respects_the_quotas(db, client, make_event, applicant):
    event = make_event(capacity=2, quotas={"AR": 1})
    ar1, other1, ar2, other2 = (
        applicant(country="AR"),
        applicant(country="MX"),
        applicant(country="AR"),
        applicant(country="MX"),
    )
    for values in (ar1, other1, ar2, other2):
        _register(client, event, values)
    assert [_reg(db, v["email"]).status for v in (ar1, other1, ar2, other2)] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    service.cancel_registration(_reg(db, other1["email"]).manage_token)
    # The freed seat is not Argentina's: the Mexican behind is offered it, the Argentine waits.
    assert waitlist.promote_waiting_list(event.id) == [_reg(db, other2["email"]).id]
    assert _reg(db, ar2["email"]).offer_expires_at is None
    assert _seats(db, event.id) == (2, {"AR": 1})


def test_newcomer_does_not_overtake_the_waiting_list(db, client, make_event, applicant):
    event = make_event(capacity=1)
    first, second, newcomer = applicant(), applicant(), applicant()
    _register(client, event, first)
    _register(client, event, second)
    service.cancel_registration(_reg(db, first["email"]).manage_token)
    _register(client, event, newcomer)
    assert _reg(db, newcomer["email"]).status == "waitlisted"
    assert waitlist.promote_waiting_list(event.id) == [_reg(db, second["email"]).id]


def test_sweep_task_promotes_and_expires(db, client, make_event, applicant):
    from workers.registration import sweep

    event = make_event(capacity=1)
    first, second = applicant(), applicant()
    _register(client, event, first)
    _register(client, event, second)
    service.cancel_registration(_reg(db, first["email"]).manage_token)
    result = sweep()
    assert result["offered"] == [_reg(db, second["email"]).id]
    assert sweep() == {"expired": [], "offered": []}


def test_reminders_go_once_n_days_before_with_the_calendar(db, client, make_event, applicant):
    soon = make_event(start=(utcnow() + timedelta(days=2)).date())
    far = make_event(start=(utcnow() + timedelta(days=20)).date())
    a, b, c = applicant(language="en"), applicant(), applicant()
    _register(client, soon, a)
    _register(client, far, b)
    _register(client, soon, c)
    service.cancel_registration(_reg(db, c["email"]).manage_token)
    assert notifications.send_event_reminders() == 1
    assert notifications.send_event_reminders() == 0
    [reminder] = _mails(db, "reminder_event")
    assert reminder.recipient_email == a["email"] and reminder.language == "en"
    assert reminder.calendar_method == "REQUEST" and b"VEVENT" in reminder.calendar_ics
    from workers.registration import SCHEDULE

    assert SCHEDULE["registration-reminders"]["task"] == "lanet.registration.send_reminders"


def test_every_registration_email_renders_in_the_registrants_language(
    db, client, make_event, applicant
):
    for language in ("es", "pt", "en"):
        _check_emails_in(language, db, client, make_event, applicant)


def _check_emails_in(language, db, client, make_event, applicant) -> None:
    from lanet.mail.compose import render

    expected = {
        "es": ("Inscripción confirmada", "lista de espera", "Inscripción cancelada"),
        "pt": ("Inscrição confirmada", "lista de espera", "Inscrição cancelada"),
        "en": ("Registration confirmed", "waiting list", "Registration cancelled"),
    }[language]
    event = make_event(capacity=1, start=(utcnow() + timedelta(days=1)).date())
    first, second = applicant(language=language), applicant(language=language)
    _register(client, event, first)
    _register(client, event, second)
    service.cancel_registration(_reg(db, first["email"]).manage_token)
    waitlist.promote_waiting_list(event.id)
    waitlist.expire_offers(now=utcnow() + timedelta(days=3))
    third = applicant(language=language)
    _register(client, event, third)
    notifications.send_event_reminders()
    mails = [m for m in _mails(db) if m.event_id == event.id]
    templates = {m.template for m in mails}
    assert {
        "registration_confirmed",
        "registration_waitlisted",
        "registration_cancelled",
        "registration_offer",
        "registration_offer_expired",
        "reminder_event",
    } <= templates
    rendered = {}
    for mail in mails:
        assert mail.language == language
        rendered[mail.template] = render(mail.template, mail.language, mail.context, "X")
    assert expected[0] in rendered["registration_confirmed"].subject
    assert expected[1] in rendered["registration_waitlisted"].text
    assert expected[2] in rendered["registration_cancelled"].subject
    for result in rendered.values():
        assert result.subject and "%(" not in result.text + result.html


def test_event_page_offers_registration_only_while_open(db, client, make_event):
    open_event, closed = make_event(), make_event(status="closed")
    page = client.get(f"/events/{open_event.slug}?lang=en")
    assert f'href="/events/{open_event.slug}/register"'.encode() in page.data
    page = client.get(f"/events/{closed.slug}?lang=en")
    assert b"/register" not in page.data


def test_offer_and_reminder_periods_are_configurable(
    app, db, client, make_event, applicant, monkeypatch
):
    event = make_event(capacity=1, start=(utcnow() + timedelta(days=6)).date())
    first, second = applicant(), applicant()
    _register(client, event, first)
    _register(client, event, second)
    monkeypatch.setitem(app.config, "REGISTRATION_OFFER_HOURS", 6)
    monkeypatch.setitem(app.config, "REGISTRATION_REMINDER_DAYS", 7)
    service.cancel_registration(_reg(db, first["email"]).manage_token)
    waitlist.promote_waiting_list(event.id)
    offered = _reg(db, second["email"])
    assert timedelta(hours=5) < offered.offer_expires_at - utcnow() <= timedelta(hours=6)
    waitlist.accept_offer(offered.manage_token)
    assert notifications.send_event_reminders() == 1  # 6 days ahead, within the 7 configured


def test_seat_taken_between_the_look_and_the_lock_ends_on_the_waiting_list(
    db, client, make_event, applicant, monkeypatch
):
    """The unlocked look can be overtaken by a simultaneous registration; the lock decides."""
    event = make_event(capacity=1)
    first, second = applicant(), applicant()
    _register(client, event, first)
    # The second arrives as if the look had happened just before the first committed.
    monkeypatch.setattr(
        seats, "look", lambda event_id, country: seats.Look(1, 0, {}, queue_ahead=False)
    )
    _register(client, event, second)
    late = _reg(db, second["email"])
    assert late.status == "waitlisted" and late.confirmed_at is None
    assert _seats(db, event.id)[0] == 1
    mail = _mails(db)[-1]
    assert mail.recipient_email == second["email"]
    assert mail.template == "registration_waitlisted" and mail.calendar_ics is None
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.object_id == late.id).order_by(AuditEntry.id)
    )
    assert entry.changes["status"] == "waitlisted"


@pytest.mark.parametrize(
    "text",
    ["email\n" + "a" * 140_000 + '"x\n', "email\nana\rb@example.org\n"],
    ids=["overlong-field", "bare-carriage-return"],
)
def test_unreadable_csv_is_refused_with_a_row_number(text):
    with pytest.raises(errors.ImportRejected) as refused:
        imports.parse_invitation_csv(text)
    assert refused.value.errors[0][0] >= 1
    assert "CSV" in refused.value.errors[0][1]
