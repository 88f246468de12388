"""Issue 14, item 8: private-link and invitation tokens are not stored in the database.

A row keeps a nonce and the SHA-256 of its link; the link is HMAC(TOKEN_KEY, nonce)
(lanet/core/tokens.py). What the emails carry is found nowhere in the database, opens the
private page, and is rebuilt for every later email; a tampered, unknown or forged link opens
nothing; a new TOKEN_KEY needs `tokens rehash`, after which links already emailed still work.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from lanet.attendance.codes import check_in_code
from lanet.core import tokens
from lanet.mail import service as mail_service
from lanet.network.models import Person
from lanet.registration import notifications, service, waitlist
from lanet.registration.invitations import remind_invitations
from lanet.registration.links import rehash_links
from lanet.registration.models import Invitation, Registration
from tests import services

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
LINK = re.compile(r"/(r|invitations)/([A-Za-z0-9_\-]{20,})")


@pytest.fixture()
def client(fresh_client):
    return fresh_client


def _delivered_links(sink, count: int, kind: str = "r") -> list[str]:
    """The token of the links of `kind` in each email the SMTP server received, in order
    (an email names one private link, in several places)."""
    assert mail_service.deliver_due().sent >= 1
    found = []
    for message in sink.wait_for(count):
        text = message.get_body(("plain",)).get_content()
        distinct = {token for k, token in LINK.findall(text) if k == kind}
        assert len(distinct) <= 1, distinct
        found.extend(distinct)
    return found


def _stored_anywhere(db, secret: str) -> list[str]:
    """Every table.column whose stored value (text, JSON or bytes) contains `secret`."""
    hits = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                if isinstance(value, bytes | bytearray | memoryview):
                    value = bytes(value).decode("utf-8", "replace")
                if secret in str(value):
                    hits.append(f"{table.name}.{column}")
    return hits


def _register(client, event, values) -> Registration:
    from lanet.extensions import db

    response = client.post(f"/events/{event.slug}/register", data=values)
    assert response.status_code == 302, response.data[-500:]
    db.session.expire_all()
    return db.session.scalar(
        select(Registration).join(Person).where(Person.email == values["email"].lower())
    )


def test_the_emailed_private_link_is_stored_nowhere_and_opens_the_page(
    client, db, make_event, applicant, mail_to_sink
):
    event = make_event(capacity=3)
    registration = _register(client, event, applicant(email="ana@example.org"))
    [token] = _delivered_links(mail_to_sink, 1)
    db.session.expire_all()
    # The database holds neither the token nor the link (the outbox forgot it once sent).
    assert _stored_anywhere(db, token) == []
    row = db.session.get(Registration, registration.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_nonce, row.previous_token_hash)
    # The emailed link opens the private page, the badge and the calendar.
    page = client.get(f"/r/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and b"Raphael Lemkin Seminar" in page.data
    assert client.get(f"/r/{token}/badge").status_code == 200
    assert client.get(f"/r/{token}/calendar.ics").status_code == 200
    assert client.get(f"/api/v1/registrations/{token}").status_code == 200
    assert service.registration_for_token(token).id == registration.id


def test_the_emailed_invitation_link_is_stored_nowhere_and_leads_to_registration(
    client, db, make_event, make_user, sign_in, applicant, mail_to_sink
):
    event = make_event()
    organizer = make_user("organizer", event=event)
    mail_to_sink.clear()
    sign_in(client, organizer)
    answer = client.post(
        f"/manage/events/{event.slug}/invitations",
        data={"typed-emails": "invitada@example.org", "typed-language": "es"},
    )
    assert answer.status_code == 302
    [token] = _delivered_links(mail_to_sink, 1, kind="invitations")
    db.session.expire_all()
    assert _stored_anywhere(db, token) == []
    invitation = db.session.scalar(select(Invitation))
    assert client.get(f"/invitations/{token}").status_code == 200
    form = client.get(f"/events/{event.slug}/register?invitation={token}")
    assert b"invitada@example.org" in form.data
    registration = _register(
        client, event, applicant(email="invitada@example.org", invitation=token)
    )
    assert registration.invitation_id == invitation.id
    # A reminder, built later, carries the same working link.
    invitation = db.session.scalar(select(Invitation))
    invitation.accepted_at = None
    db.session.delete(registration)
    db.session.commit()
    mail_to_sink.clear()
    assert remind_invitations(event.id, None, since=datetime.now(UTC)) == 1
    [again] = _delivered_links(mail_to_sink, 1, kind="invitations")
    assert again == token
    assert client.get(f"/invitations/{again}").status_code == 200


def test_later_emails_rebuild_a_working_private_link(
    client, db, make_event, applicant, mail_to_sink
):
    """The waiting list's offer and the reminder before the event carry the link the first
    email carried, rebuilt from the key: it accepts the seat and opens the page."""
    event = make_event(capacity=1)
    _register(client, event, applicant(email="first@example.org"))
    second = _register(client, event, applicant(email="second@example.org"))
    assert second.status == "waitlisted"
    first_token, second_token = _delivered_links(mail_to_sink, 2)
    mail_to_sink.clear()
    service.cancel_registration(first_token)
    assert waitlist.promote_waiting_list(event.id) == [second.id]
    offer_links = _delivered_links(mail_to_sink, 2)  # the cancellation, then the offer
    assert offer_links[-1] == second_token
    assert client.post(f"/r/{second_token}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, second.id).status == "confirmed"
    mail_to_sink.clear()
    notifications.send(db.session.get(Registration, second.id), "reminder_event")
    db.session.commit()
    assert _delivered_links(mail_to_sink, 2)[-1] == second_token
    assert _stored_anywhere(db, second_token) == []


def test_a_tampered_unknown_or_forged_link_opens_nothing(client, db, make_event, applicant):
    event = make_event()
    registration = _register(client, event, applicant(email="ana@example.org"))
    token = registration.manage_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    invitation = Invitation(event_id=event.id, email="x@example.org")
    db.session.add(invitation)
    db.session.commit()
    for bad in (tampered, "x" * 43, token.upper(), token + "x", "A" * 500):
        assert client.get(f"/r/{bad}").status_code == 404, bad
        assert client.get(f"/r/{bad}/badge").status_code == 404, bad
        assert client.get(f"/api/v1/registrations/{bad}").status_code == 404, bad
        assert client.get(f"/invitations/{bad}").status_code == 404, bad
    assert client.get(f"/invitations/{invitation.token}").status_code == 200
    # Someone who can write to the database but has no key cannot make a link of their own.
    forged = "forged-by-someone-without-the-key"
    registration.token_hash = tokens.digest(forged)
    invitation.token_hash = tokens.digest(forged)
    db.session.commit()
    assert client.get(f"/r/{forged}").status_code == 404
    assert client.get(f"/invitations/{forged}").status_code == 404


def test_a_new_token_key_needs_a_rehash_which_keeps_emailed_links(
    app, client, db, make_event, applicant, monkeypatch
):
    event = make_event()
    registration = _register(client, event, applicant(email="ana@example.org"))
    invitation = Invitation(event_id=event.id, email="x@example.org")
    db.session.add(invitation)
    db.session.commit()
    old_link, old_invitation = registration.manage_token, invitation.token
    badge_code = check_in_code(registration)
    monkeypatch.setitem(app.config, "TOKEN_KEY", "a-new-key-" + uuid.uuid4().hex)
    new_link, new_invitation = registration.manage_token, invitation.token
    assert new_link != old_link and new_invitation != old_invitation
    # The badges' check-in codes are signed with SECRET_KEY over the nonce: they stay.
    assert check_in_code(registration) == badge_code
    # Without the rehash no link works: the stored hash is the old link's, and the old link
    # is not what the new key builds.
    for link in (old_link, new_link):
        assert client.get(f"/r/{link}").status_code == 404
    result = app.test_cli_runner().invoke(args=["tokens", "rehash"])
    assert result.exit_code == 0, result.output
    assert "re-keyed 1 registration and 1 invitation links" in result.output
    # Both the link already emailed and the one the next emails carry work.
    for link in (old_link, new_link):
        assert client.get(f"/r/{link}").status_code == 200, link
    for link in (old_invitation, new_invitation):
        assert client.get(f"/invitations/{link}").status_code == 200, link
    assert rehash_links().registrations == 0  # run again: nothing to do
    # Erasing the person ends every link of theirs, the previous one included.
    from lanet.privacy.service import erase_person

    erase_person(registration.person_id)
    db.session.expire_all()
    erased = db.session.get(Registration, registration.id)
    assert erased.previous_token_hash is None
    assert check_in_code(erased) != badge_code
    for link in (old_link, new_link):
        assert client.get(f"/r/{link}").status_code == 404


# --- the 0011 migration on a database that has links in clear --------------------------------


def _flask(env: dict, *args: str) -> None:
    done = subprocess.run(
        [FLASK, "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _migrate_rows_in_clear(tmp_path, flask_url: str, engine_url: str) -> None:
    secret = "migration-secret"
    # TOKEN_KEY empty: derived from SECRET_KEY, as in a deployment that never set it.
    env = {
        "LANET_INSTANCE": str(tmp_path),
        "DATABASE_URL": flask_url,
        "SECRET_KEY": secret,
        "TOKEN_KEY": "",
    }
    _flask(env, "db", "upgrade", "0008_journeys")
    engine = sa.create_engine(engine_url)
    old_registration, old_invitation = "old-link-" + "r" * 34, "old-invitation-" + "i" * 28
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO countries (code, name_es, name_pt, name_en, membership)"
                " VALUES ('AR', 'Argentina', 'Argentina', 'Argentina', 'member')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO people (id, first_name, last_name, email, language, consent_contact,"
                " created_at, updated_at)"
                " VALUES (1, 'Ana', 'Pérez', 'ana@example.org', 'es', false, :n, :n)"
            ),
            {"n": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO events (id, slug, kind, title, title_translations,"
                " description_translations, audience_translations, attendance_mode, timezone,"
                " start_date, end_date, date_precision, status, is_public, languages,"
                " seats_confirmed, requires_approval, sequence, agenda_version,"
                " city_translations, created_at, updated_at) VALUES (1, 'e', 'workshop', 'E',"
                " '{}', '{}', '{}', 'in_person', 'UTC', '2030-01-01', '2030-01-02', 'day',"
                " 'open', true, 'es', 0, false, 0, 0, '{}', :n, :n)"
            ),
            {"n": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO registrations (person_id, event_id, role, status, manage_token,"
                " created_at, updated_at) VALUES (1, 1, 'participant', 'pending', :t, :n, :n)"
            ),
            {"t": old_registration, "n": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO invitations (event_id, email, language, token, created_at)"
                " VALUES (1, 'x@example.org', 'es', :t, :n)"
            ),
            {"t": old_invitation, "n": now},
        )
    _flask(env, "db", "upgrade")
    signer = Flask("migration-check")
    signer.config["SECRET_KEY"] = secret
    with engine.connect() as connection, signer.app_context():
        for table, purpose, old in (
            ("registrations", tokens.REGISTRATION, old_registration),
            ("invitations", tokens.INVITATION, old_invitation),
        ):
            row = connection.execute(sa.text(f"SELECT * FROM {table}")).mappings().one()
            assert "manage_token" not in row and "token" not in row
            assert old not in str(dict(row))
            # The link already emailed is kept as a hash, and opens the row.
            assert row["previous_token_hash"] == hashlib.sha256(old.encode()).hexdigest()
            new = tokens.token_for(purpose, row["token_nonce"])
            assert row["token_hash"] == tokens.digest(new)
            if table == "registrations":
                new_registration = new
    # Downgrade: the link that works now goes back in clear.
    _flask(env, "db", "downgrade", "0008_journeys")
    with engine.connect() as connection:
        clear = connection.execute(sa.text("SELECT manage_token FROM registrations")).scalar()
    assert clear == new_registration
    engine.dispose()


def test_the_migration_keeps_emailed_links_and_drops_the_clear_tokens_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    _migrate_rows_in_clear(tmp_path, url, url)


@pytest.mark.services
def test_the_migration_keeps_emailed_links_and_drops_the_clear_tokens_postgresql(tmp_path):
    import psycopg

    name = f"lanet_tok_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = services.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        engine_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        _migrate_rows_in_clear(tmp_path, url, engine_url)
    finally:
        with psycopg.connect(services.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
