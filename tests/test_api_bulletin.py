"""The bulletin's API: the public archive, and staff operations through the same services
(drafting, editing, an idempotent send, progress, contacts and lists), with clear 4xx."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from lanet.bulletin import service
from lanet.bulletin.models import Bulletin, BulletinDelivery, Contact
from tests.fixtures.bulletin import add_contacts, everyone_list, ready_bulletin

API = "/api/v1"


def test_the_archive_is_public_and_drafts_are_staff_only(db, client, bearer, make_user):
    add_contacts(2)
    published = ready_bulletin()
    send, _ = service.start_send(published.id, everyone_list().id, None)
    draft = ready_bulletin(period=(date(2014, 7, 1), date(2014, 12, 31)))

    listing = client.get(f"{API}/bulletins").get_json()
    assert [b["id"] for b in listing["items"]] == [published.id]
    assert listing["items"][0]["links"]["pt"].endswith(f"/bulletin/{published.id}/pt")
    one = client.get(f"{API}/bulletins/{published.id}").get_json()
    assert one["titles"]["en"] == "Test bulletin" and one["html"]["pt"].startswith("<h1>")
    assert client.get(f"{API}/bulletins/{draft.id}").status_code == 404

    staff = bearer(make_user("staff"))
    assert client.get(f"{API}/bulletins/{draft.id}", headers=staff).status_code == 200
    assert len(client.get(f"{API}/bulletins", headers=staff).get_json()["items"]) == 2


def test_staff_draft_edit_and_send_once_through_the_api(db, client, bearer, make_user):
    add_contacts(4)
    headers = bearer(make_user("staff"))
    created = client.post(
        f"{API}/bulletins",
        json={"period_start": "2014-01-01", "period_end": "2014-06-30"},
        headers=headers,
    )
    assert created.status_code == 202 and created.get_json()["status"] == "compiling"
    bulletin_id = created.get_json()["id"]
    # While the worker writes, an edit is refused with 409, not lost.
    early = client.put(
        f"{API}/bulletins/{bulletin_id}/texts/pt",
        json={"title": "Boletim", "body": "# Olá"},
        headers=headers,
    )
    assert early.status_code == 409
    assert service.compile_draft(bulletin_id)
    for language in ("es", "pt", "en"):
        edited = client.put(
            f"{API}/bulletins/{bulletin_id}/texts/{language}",
            json={"title": f"Boletim {language}", "body": "# Olá\n\n<script>x</script>"},
            headers=headers,
        )
        assert edited.status_code == 200
        assert "<script" not in edited.get_json()["html"][language]
    audience = everyone_list()
    first = client.post(
        f"{API}/bulletins/{bulletin_id}/sends", json={"list_id": audience.id}, headers=headers
    )
    assert first.status_code == 201
    again = client.post(
        f"{API}/bulletins/{bulletin_id}/sends", json={"list_id": audience.id}, headers=headers
    )
    assert again.status_code == 200 and again.get_json()["send_id"] == first.get_json()["send_id"]
    send_id = first.get_json()["send_id"]
    while not service.expand(send_id):
        pass
    progress = client.get(f"{API}/bulletin-sends/{send_id}", headers=headers).get_json()
    assert (progress["total"], progress["queued"], progress["sent"]) == (4, 4, 0)
    assert db.session.scalar(select(func.count()).select_from(BulletinDelivery)) == 4
    # Published: no more edits.
    late = client.put(
        f"{API}/bulletins/{bulletin_id}/texts/es", json={"title": "x", "body": "y"}, headers=headers
    )
    assert late.status_code == 409


def test_bad_input_names_the_field_and_writes_nothing(db, client, bearer, make_user):
    headers = bearer(make_user("staff"))
    backwards = client.post(
        f"{API}/bulletins",
        json={"period_start": "2014-06-30", "period_end": "2014-01-01"},
        headers=headers,
    )
    assert backwards.status_code == 422
    assert backwards.get_json()["invalid_params"][0]["name"] == "end"
    assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 0
    bulletin = ready_bulletin()
    no_list = client.post(
        f"{API}/bulletins/{bulletin.id}/sends", json={"list_id": 999}, headers=headers
    )
    assert (
        no_list.status_code == 422 and no_list.get_json()["invalid_params"][0]["name"] == "list_id"
    )
    assert (
        client.put(
            f"{API}/bulletins/{bulletin.id}/texts/fr",
            json={"title": "x", "body": "y"},
            headers=headers,
        ).status_code
        == 404
    )
    empty = client.put(
        f"{API}/bulletins/{bulletin.id}/texts/es", json={"title": "", "body": "y"}, headers=headers
    )
    assert empty.status_code == 422
    bad_email = client.post(f"{API}/contacts", json={"email": "not an address"}, headers=headers)
    assert (
        bad_email.status_code == 422
        and bad_email.get_json()["invalid_params"][0]["name"] == "email"
    )
    bad_country = client.post(
        f"{API}/distribution-lists", json={"name": "X", "countries": ["ZZ"]}, headers=headers
    )
    assert bad_country.status_code == 422
    assert bad_country.get_json()["invalid_params"][0]["name"] == "countries"
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_contacts_and_lists_through_the_api(db, client, bearer, make_user):
    from tests.fixtures.accounts import ensure_country

    ensure_country("PE")
    db.session.commit()
    headers = bearer(make_user("staff"))
    made = client.post(
        f"{API}/contacts",
        json={
            "email": "Vice.Ministra@MRE.gob.pe",
            "name": "Vice Ministra",
            "country_code": "PE",
            "language": "es",
            "kind": "authority",
        },
        headers=headers,
    )
    assert made.status_code == 201 and made.get_json()["email"] == "vice.ministra@mre.gob.pe"
    assert made.get_json()["consent_at"] is not None
    twice = client.post(
        f"{API}/contacts", json={"email": "vice.ministra@mre.gob.pe"}, headers=headers
    )
    assert twice.status_code == 422
    listed = client.post(
        f"{API}/distribution-lists",
        json={"name": "Autoridades del Perú", "countries": ["pe"], "kinds": ["authority"]},
        headers=headers,
    )
    assert listed.status_code == 201 and listed.get_json()["members"] == 1
    page = client.get(f"{API}/contacts?country=PE&kind=authority", headers=headers).get_json()
    assert page["total"] == 1
    lists = client.get(f"{API}/distribution-lists", headers=headers).get_json()
    assert lists["items"][0]["name"] == "Autoridades del Perú"


def test_staff_operations_need_a_staff_token(db, client, bearer, make_user):
    assert client.post(f"{API}/bulletins", json={}).status_code == 401
    organizer = bearer(make_user("focal_point", country="AR"))
    assert client.get(f"{API}/contacts", headers=organizer).status_code == 403


def test_a_csv_import_and_a_test_send_through_the_api(db, client, bearer, make_user, mail_to_sink):
    from lanet.mail import service as mail
    from tests.fixtures.accounts import ensure_country

    ensure_country("CL")
    db.session.commit()
    staff = make_user("staff", email="secretaria@lanet.example")
    headers = bearer(staff)
    bad = client.post(
        f"{API}/contacts/import",
        json={"csv": "email,kind\nok@example.org,authority\nbad,authority\nx@example.org,boss\n"},
        headers=headers,
    )
    assert bad.status_code == 422
    reasons = [p["reason"] for p in bad.get_json()["invalid_params"]]
    assert reasons[0].startswith("row 3:") and reasons[1].startswith("row 4:")
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    good = client.post(
        f"{API}/contacts/import",
        json={"csv": "email;country;language;kind\nministro@minrel.gob.cl;CL;es;authority\n"},
        headers=headers,
    )
    assert good.status_code == 200 and good.get_json()["created"] == 1

    bulletin = ready_bulletin(staff.id)
    sent = client.post(
        f"{API}/bulletins/{bulletin.id}/test-sends", json={"language": "en"}, headers=headers
    )
    assert sent.status_code == 202 and sent.get_json()["to"] == "secretaria@lanet.example"
    mail.deliver_due()
    [message] = mail_to_sink.wait_for(1)
    assert str(message["Subject"]) == "Test bulletin"
