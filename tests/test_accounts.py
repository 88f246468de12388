"""Accounts: signing in, password links, invitations, roles, the audit page and the CLI."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lanet.accounts import service
from lanet.accounts.models import User, UserToken
from lanet.accounts.passwords import hash_password, verify_password
from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.mail.models import OutboxMessage
from lanet.network.models import Person
from tests.fixtures.accounts import TEST_PASSWORD, ensure_country, new_event


def _outbox(db, template: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
    )


def _link_token(message: OutboxMessage, key: str) -> str:
    match = re.search(r"/password/reset/([A-Za-z0-9_\-]+)$", message.context[key])
    assert match, message.context[key]
    return match.group(1)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- passwords -------------------------------------------------------------------------------


def test_passwords_are_argon2_and_verify_only_the_right_one():
    hashed = hash_password("a long secret phrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long secret phrase")
    assert not verify_password(hashed, "a long secret phrasE")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")


# --- signing in ------------------------------------------------------------------------------


def test_login_with_the_right_password_signs_in_and_logout_signs_out(client, db, make_user, login):
    user = make_user("staff")
    response = login(client, user, form=True)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    assert client.get("/staff/users").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login")).user_id == (
        user.id
    )

    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/staff/users").status_code == 302


def test_login_follows_only_local_next_urls(client, make_user):
    user = make_user("staff")
    data = {"email": user.email, "password": TEST_PASSWORD}
    local = client.post("/login?next=/staff/audit", data=data)
    assert local.headers["Location"].endswith("/staff/audit")
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", query_string={"next": evil}, data=data)
        assert response.headers["Location"].endswith("/account"), evil
        client.post("/logout")


def _login_answer(client, email: str, password: str) -> tuple[int, str]:
    response = client.post("/login", data={"email": email, "password": password})
    return response.status_code, response.get_data(as_text=True)


def test_login_answers_the_same_for_unknown_email_wrong_password_and_disabled_account(
    client, make_user
):
    known = make_user("staff", email="known@test.lanet.example")
    disabled = make_user("staff", email="off@test.lanet.example", active=False)
    answers = [
        _login_answer(client, known.email, "wrong password!"),
        _login_answer(client, "nobody@test.lanet.example", "wrong password!"),
        _login_answer(client, disabled.email, TEST_PASSWORD),
    ]
    statuses = {status for status, _ in answers}
    assert statuses == {400}
    bodies = {re.sub(r'value="[^"]*"', "", body) for _, body in answers}
    assert len(bodies) == 1, "the page must not tell which emails have accounts"
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_form_with_missing_fields_re_renders_with_errors(client, db):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)
    assert _count(db, AuditEntry) == 0


def test_protected_page_sends_anonymous_visitors_to_login(client, db):
    response = client.get("/staff/audit")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


# --- password reset --------------------------------------------------------------------------


def test_password_reset_link_works_once(client, db, make_user):
    user = make_user("focal_point", country="AR", language="pt")
    response = client.post("/password/forgot", data={"email": user.email.upper()})
    assert response.status_code == 200
    [message] = _outbox(db, "password_reset")
    assert message.recipient_email == user.email
    assert message.language == "pt"
    token = _link_token(message, "reset_url")
    stored = db.session.scalar(select(UserToken))
    assert stored.token_hash == service.token_digest(token) and token not in stored.token_hash
    assert len(token) >= 43  # 32 bytes of randomness, URL-safe base64

    assert client.get(f"/password/reset/{token}").status_code == 200
    response = client.post(
        f"/password/reset/{token}",
        data={"password": "a brand new password", "confirm": "a brand new password"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, "a brand new password")

    again = client.post(
        f"/password/reset/{token}",
        data={"password": "another password!", "confirm": "another password!"},
    )
    assert again.status_code == 404
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, "a brand new password")


def test_password_reset_answers_the_same_for_known_and_unknown_emails(client, db, make_user):
    user = make_user("staff")
    known = client.post("/password/forgot", data={"email": user.email})
    unknown = client.post("/password/forgot", data={"email": "nobody@test.lanet.example"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert len(_outbox(db, "password_reset")) == 1


def test_expired_or_unknown_reset_links_are_refused(client, db, make_user):
    user = make_user("staff")
    service.request_password_reset(user.email)
    token = _link_token(_outbox(db, "password_reset")[0], "reset_url")
    row = db.session.scalar(select(UserToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 404
    assert client.get("/password/reset/" + "x" * 43).status_code == 404
    response = client.post(
        f"/password/reset/{token}", data={"password": "long enough pw", "confirm": "long enough pw"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, TEST_PASSWORD)


def test_reset_form_refuses_short_or_mismatched_passwords_and_keeps_the_link(client, db, make_user):
    user = make_user("staff")
    service.request_password_reset(user.email)
    token = _link_token(_outbox(db, "password_reset")[0], "reset_url")
    short = client.post(f"/password/reset/{token}", data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    differ = client.post(
        f"/password/reset/{token}", data={"password": "long enough 1", "confirm": "long enough 2"}
    )
    assert differ.status_code == 400
    assert db.session.scalar(select(UserToken)).used_at is None
    assert client.get(f"/password/reset/{token}").status_code == 200


# --- invitations and roles -------------------------------------------------------------------


def test_staff_invite_an_organizer_who_chooses_a_password(client, db, make_user, login):
    staff = make_user("staff")
    event = new_event("ws-2015", country="AR")
    login(client, staff)
    response = client.post(
        "/staff/users",
        data={
            "email": "New.Organizer@Example.org",
            "first_name": "Ana",
            "last_name": "Pérez",
            "language": "en",
            "role": "organizer",
            "event_id": str(event.id),
            "country_code": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    invited = db.session.scalar(select(User).where(User.email == "new.organizer@example.org"))
    assert invited.password_hash is None
    assert [(r.role, r.event_id) for r in invited.roles] == [("organizer", event.id)]
    granted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role_granted"))
    assert granted.user_id == staff.id and granted.event_id == event.id
    [message] = _outbox(db, "account_invitation")
    assert message.language == "en"

    token = _link_token(message, "set_password_url")
    client.post("/logout")
    client.post(
        f"/password/reset/{token}",
        data={"password": "organizer password", "confirm": "organizer password"},
    )
    response = client.post(
        "/login", data={"email": "new.organizer@example.org", "password": "organizer password"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email", "role": "staff"}, "email"),
        ({"email": "x@example.org", "role": "organizer", "event_id": ""}, "event_id"),
        ({"email": "x@example.org", "role": "focal_point", "country_code": ""}, "country_code"),
        ({"email": "x@example.org", "role": "king"}, "role"),
        ({"email": "x@example.org", "role": "staff", "first_name": "", "last_name": ""}, None),
    ],
)
def test_bad_invitations_re_render_with_errors_and_change_nothing(
    client, db, make_user, login, data, field
):
    staff = make_user("staff")
    login(client, staff)
    users_before = _count(db, User)
    form = {"first_name": "A", "last_name": "B", "language": "es", **data}
    response = client.post("/staff/users", data=form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    if field:
        assert f'id="{field}-error"' in body
    else:
        assert "field-error" in body
    assert _count(db, User) == users_before
    assert _outbox(db, "account_invitation") == []


def test_inviting_an_existing_account_is_refused(client, db, make_user, login):
    staff = make_user("staff")
    login(client, staff)
    response = client.post(
        "/staff/users",
        data={
            "email": staff.email,
            "role": "staff",
            "language": "es",
            "first_name": "A",
            "last_name": "B",
        },
    )
    assert response.status_code == 400
    assert "Ya existe una cuenta con este correo." in response.get_data(as_text=True)


def test_roles_are_granted_and_revoked_with_audit_entries(client, db, make_user, login):
    staff = make_user("staff")
    focal = make_user("focal_point", country="AR")
    ensure_country("UY")
    service.grant_role(focal.id, service.RoleSpec("focal_point", country_code="uy"))
    login(client, staff)
    page = client.get(f"/staff/users/{focal.id}")
    assert page.status_code == 200
    role_id = next(r.id for r in db.session.get(User, focal.id).roles if r.country_code == "UY")
    response = client.post(f"/staff/users/{focal.id}/roles/{role_id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert [r.country_code for r in db.session.get(User, focal.id).roles] == ["AR"]
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["role_granted", "role_revoked"]


def test_staff_cannot_remove_their_own_staff_role_or_disable_themselves(
    client, db, make_user, login
):
    staff = make_user("staff")
    login(client, staff)
    role_id = staff.roles[0].id
    client.post(f"/staff/users/{staff.id}/roles/{role_id}/revoke")
    client.post(f"/staff/users/{staff.id}/active")
    db.session.expire_all()
    fresh = db.session.get(User, staff.id)
    assert fresh.active and [r.role for r in fresh.roles] == ["staff"]


def test_a_disabled_user_loses_the_session(client, db, make_user, login):
    other = make_user("staff")
    login(client, other)
    assert client.get("/staff/audit").status_code == 200
    service.set_active(other.id, False)
    assert client.get("/staff/audit").status_code == 302


# --- the audit page --------------------------------------------------------------------------


def test_audit_page_filters_and_paginates(client, db, make_user, login):
    from lanet.core import audit

    staff = make_user("staff")
    event = new_event("audit-ev")
    for number in range(60):
        audit.record("agenda_published", "agenda", number, event_id=event.id, user_id=staff.id)
    audit.record("registration_cancelled", "registration", 7, actor="participant link")
    db.session.commit()
    login(client, staff)

    first = client.get("/staff/audit").get_data(as_text=True)
    assert (
        first.count("<code>agenda_published</code>")
        + first.count("<code>registration_cancelled</code>")
        == 50
    )
    assert 'rel="next"' in first
    second = client.get("/staff/audit?page=2").get_data(as_text=True)
    assert second.count("<tr>") - 1 == 11

    only = client.get("/staff/audit?object_type=registration").get_data(as_text=True)
    assert "participant link" in only and "agenda_published" not in only
    by_event = client.get(f"/staff/audit?event_id={event.id}").get_data(as_text=True)
    assert "registration_cancelled" not in by_event
    by_user = client.get(f"/staff/audit?user_id={staff.id}").get_data(as_text=True)
    assert "registration_cancelled" not in by_user and staff.email in by_user
    for junk in ("?page=abc", "?event_id=x&user_id=-1", "?page=99999"):
        assert client.get("/staff/audit" + junk).status_code == 200


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_creates_the_first_staff_user_and_issues_an_api_token(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-staff", "Boss@Example.org", "--password", "secretariat-pw"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert [r.role for r in user.roles] == ["staff"]
    assert verify_password(user.password_hash, "secretariat-pw")

    short = runner.invoke(args=["users", "create-staff", "b@example.org", "--password", "short"])
    assert short.exit_code != 0

    result = runner.invoke(args=["users", "issue-token", "boss@example.org", "reports script"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    from lanet.accounts.models import ApiToken

    stored = db.session.scalar(select(ApiToken))
    assert stored.name == "reports script" and token not in stored.token_hash
    assert len(token) >= 43

    unknown = runner.invoke(args=["users", "issue-token", "nobody@example.org", "x"])
    assert unknown.exit_code != 0


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "¿Olvidó su contraseña?"),
        ("pt", "Esqueceu sua senha?"),
        ("en", "Forgot your password?"),
    ],
)
def test_sign_in_page_speaks_the_three_languages(client, db, language, expected):
    html = client.get(f"/login?lang={language}").get_data(as_text=True)
    assert expected in html


def test_demo_password_is_shown_only_on_development_installations(app, client, db):
    from lanet.accounts.passwords import DEMO_PASSWORD

    before = app.config["DEV_PAGES"]
    app.config["DEV_PAGES"] = True
    try:
        assert DEMO_PASSWORD in client.get("/login").get_data(as_text=True)
        app.config["DEV_PAGES"] = False
        assert DEMO_PASSWORD not in client.get("/login").get_data(as_text=True)
    finally:
        app.config["DEV_PAGES"] = before


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("es", "Elija una nueva contraseña de LANET"),
        ("pt", "Escolha uma nova senha do LANET"),
        ("en", "Choose a new LANET password"),
    ],
)
def test_reset_email_renders_in_the_recipients_language(client, db, make_user, language, subject):
    from lanet.mail.compose import render

    user = make_user("staff", language=language)
    service.request_password_reset(user.email)
    [message] = _outbox(db, "password_reset")
    rendered = render(message.template, message.language, message.context, message.recipient_name)
    assert rendered.subject == subject
    assert message.context["reset_url"] in rendered.text
    assert message.context["reset_url"] in rendered.html
    assert user.person.full_name in rendered.text


def test_invitation_email_renders(client, db, make_user):
    from lanet.mail.compose import render

    event = new_event("render-ev")
    service.invite_user(
        "fp@example.org", "Rosa", "Mora", "pt", [service.RoleSpec("organizer", event.id)]
    )
    [message] = _outbox(db, "account_invitation")
    rendered = render(message.template, message.language, message.context, message.recipient_name)
    assert rendered.subject == "Sua conta no LANET"
    assert message.context["set_password_url"] in rendered.text


JUNK = ["", " ", "abc", "-1", "99999999999999999999", "<script>", "\x00", "é" * 300]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_in_every_accounts_form_gets_an_answer_not_a_crash(client, db, make_user, login, junk):
    staff = make_user("staff")
    target = make_user("focal_point", country="AR")
    login(client, staff)
    users_before = _count(db, User)
    posts = [
        ("/staff/users", {"email": junk, "role": junk, "event_id": junk, "country_code": junk}),
        (f"/staff/users/{target.id}", {"role": junk, "event_id": junk, "country_code": junk}),
        (f"/staff/people/{target.person_id}/erase", {"confirm": junk}),
        ("/password/forgot", {"email": junk}),
        ("/password/reset/" + (junk.strip() or "x"), {"password": junk, "confirm": junk}),
        ("/login", {"email": junk, "password": junk}),
    ]
    for path, data in posts:
        response = client.post(path, data=data)
        assert response.status_code < 500, (path, junk)
        login(client, staff)
    for path in ("/staff/audit", "/staff/people"):
        query = {"object_type": junk, "event_id": junk, "user_id": junk, "page": junk, "q": junk}
        assert client.get(path, query_string=query).status_code == 200
    for path in ("/staff/users/{}", "/staff/people/{}/export", "/staff/people/{}/erase"):
        for number in ("0", "2147483648", "99999999999999999999"):
            assert client.get(path.format(number)).status_code == 404
    assert _count(db, User) == users_before
    db.session.expire_all()
    # A ticked box sends any non-empty value; only an empty answer must not erase.
    if junk == "":
        assert db.session.get(Person, target.person_id).erased_at is None


def test_account_page_links_each_role_to_its_pages(client, db, make_user, login):
    event = new_event("links-ev", country="AR")
    organizer = make_user("organizer", event=event)
    service.grant_role(organizer.id, service.RoleSpec("focal_point", country_code="AR"))
    login(client, organizer)
    html = client.get("/account?lang=en").get_data(as_text=True)
    assert "/manage/events/links-ev/registrations" in html
    assert "/focal-point/nominations?country=AR" in html
    assert "Users and roles" not in html
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_a_new_password_signs_out_every_other_session(app, client, db, make_user):
    user = make_user("staff")
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/staff/audit").status_code == 200

    service.request_password_reset(user.email)
    token = _link_token(_outbox(db, "password_reset")[0], "reset_url")
    elsewhere = app.test_client()
    elsewhere.post(
        f"/password/reset/{token}",
        data={"password": "a fresh password", "confirm": "a fresh password"},
    )
    assert client.get("/staff/audit").status_code == 302
    response = client.post("/login", data={"email": user.email, "password": "a fresh password"})
    assert response.status_code == 302
    assert client.get("/staff/audit").status_code == 200


@pytest.mark.parametrize("forged", ["1", "1.", "1.0000000000000000", "x.y", "99999999999.a", ""])
def test_sessions_naming_a_user_without_the_right_stamp_are_anonymous(
    client, db, make_user, forged
):
    from flask_login.utils import _create_identifier

    user = make_user("staff")
    forged = forged.replace("1", str(user.id), 1) if forged.startswith("1") else forged
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = forged
        session["_fresh"] = True
        session["_id"] = identifier
    assert client.get("/staff/audit").status_code == 302


def test_the_event_picker_on_staff_users_speaks_the_readers_language(client, make_user, login):
    """Issue 15, item 9: the event picker showed English titles in es and pt."""
    from tests.fixtures.agenda import create_event

    event = create_event(title="Raphael Lemkin Seminar 99")
    login(client, make_user("staff"))
    page = client.get("/staff/users?lang=pt").text
    assert event.title_translations["pt"] in page
    assert f">{event.title} (" not in page
    page = client.get("/staff/users?lang=es").text
    assert event.title_translations["es"] in page
