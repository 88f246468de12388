"""Certificates: eligibility, templates and images, production, the PDF, verification."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lanet.certificates import eligibility, production, queries, service, templates, texts
from lanet.certificates.errors import CertificateError
from lanet.certificates.models import (
    Certificate,
    CertificateImage,
    CertificateStatus,
    CertificateTemplate,
)
from lanet.core.audit import AuditEntry
from lanet.core.models import StoredFile
from lanet.mail.models import OutboxMessage
from tests.fixtures.certificates import event_template, png, produce

D = date(2014, 6, 2)


# --- eligibility on a hand-built set -----------------------------------------------------------


def _candidate(pid, name, role="participant", confirmed=True, **attended):
    return eligibility.Candidate(
        person_id=pid,
        name=name,
        role=role,
        confirmed=confirmed,
        attended={int(k[1:]): frozenset(D.replace(day=d) for d in v) for k, v in attended.items()},
    )


def test_attendance_eligibility_by_share_of_days_role_and_overrides():
    parts = [eligibility.Part(event_id=1, days=4)]
    people = [
        _candidate(1, "Ana", e1=[2, 3, 4, 5]),  # 4/4
        _candidate(2, "Bruno", e1=[2, 3, 4]),  # 3/4 = exactly 75 %
        _candidate(3, "Carla", e1=[2, 3]),  # 2/4
        _candidate(4, "Diego", role="instructor", e1=[2, 3, 4]),
        _candidate(5, "Eva", role="observer", e1=[2, 3, 4, 5]),  # role not covered
        _candidate(6, "Félix", confirmed=False, e1=[2, 3, 4, 5]),
        _candidate(7, "Gil", e1=[]),
        _candidate(8, "Hugo", e1=[2, 3, 4, 5]),  # withheld
        _candidate(9, "Inés", e1=[2]),  # added
    ]
    overrides = {
        8: eligibility.Override("withhold", "left the course"),
        9: eligibility.Override("add", "attended online"),
    }
    entries = eligibility.evaluate(
        "attendance",
        parts,
        people,
        min_share=75,
        roles=["participant", "instructor"],
        overrides=overrides,
    )
    by_name = {e.name: e for e in entries}
    assert {e.name for e in entries if e.eligible} == {"Ana", "Bruno", "Diego", "Inés"}
    assert by_name["Bruno"].days_attended == 3 and by_name["Bruno"].days_total == 4
    assert by_name["Bruno"].reason == eligibility.Reason.attended_enough
    assert by_name["Carla"].reason == eligibility.Reason.too_few_days
    assert by_name["Carla"].share == 50
    assert by_name["Eva"].reason == eligibility.Reason.role_not_covered
    assert by_name["Félix"].reason == eligibility.Reason.not_confirmed
    assert by_name["Gil"].reason == eligibility.Reason.too_few_days
    assert by_name["Hugo"].reason == eligibility.Reason.withheld
    assert by_name["Hugo"].note == "left the course"
    assert by_name["Inés"].reason == eligibility.Reason.added
    # Eligible first, then the others, each by name.
    assert [e.name for e in entries][:4] == ["Ana", "Bruno", "Diego", "Inés"]
    # Only instructors: the participants fall out.
    only = eligibility.evaluate("attendance", parts, people, min_share=75, roles=["instructor"])
    assert [e.name for e in only if e.eligible] == ["Diego"]


def test_completion_needs_every_part_of_the_cycle():
    parts = [eligibility.Part(event_id=1, days=5), eligibility.Part(event_id=2, days=3)]
    people = [
        _candidate(1, "Ana", e1=[2, 3, 4, 5, 6], e2=[10]),
        _candidate(2, "Bruno", e1=[2, 3, 4], e2=[]),
        _candidate(3, "Carla", e2=[10, 11, 12]),
    ]
    entries = eligibility.evaluate(
        "completion", parts, people, min_share=100, roles=["participant", "instructor"]
    )
    by_name = {e.name: e for e in entries}
    assert by_name["Ana"].eligible and by_name["Ana"].days_attended == 6
    assert by_name["Ana"].days_total == 8
    assert by_name["Bruno"].reason == eligibility.Reason.missed_part
    assert by_name["Carla"].reason == eligibility.Reason.missed_part


def test_eligibility_from_the_database(certificate_world):
    w = certificate_world
    template = event_template(w.e1)
    entries = {e.name: e for e in queries.entries(template)}
    assert entries["Ana Pérez"].eligible and entries["Ana Pérez"].days_attended == 5
    assert not entries["Bruno Silva"].eligible and entries["Bruno Silva"].days_attended == 3
    assert entries["Diego Souza"].eligible and entries["Diego Souza"].role == "instructor"
    cycle = templates.save_template(cycle_id=w.cycle.id, data=templates.defaults("completion"))
    completed = {e.name: e.eligible for e in queries.entries(cycle)}
    assert completed == {
        "Ana Pérez": True,
        "Bruno Silva": False,
        "Carla Gómez": False,
        "Diego Souza": False,
    }


# --- templates, placeholders, images --------------------------------------------------------


def test_placeholders_unknown_or_unsafe_are_refused():
    texts.check("Hello {name}, {{literal}} braces")
    for bad in ("{nombre}", "{name.__class__}", "{name!r}", "{days:>10}", "a { b", "}"):
        with pytest.raises(texts.PlaceholderError):
            texts.check(bad)
    assert texts.fill("{name} ({days})", {"name": "Zoë", "days": "3"}) == "Zoë (3)"
    assert texts.fill_markup("<{name}>", {"name": "A&B"}) == "&lt;<b>A&amp;B</b>&gt;"


def test_a_template_with_an_unknown_placeholder_writes_nothing(certificate_world):
    data = templates.defaults("attendance")
    data.bodies["pt"] = "Certificamos que {nome} participou."
    with pytest.raises(CertificateError) as raised:
        templates.save_template(event_id=certificate_world.e1.id, data=data)
    assert raised.value.field == "body_pt"
    assert "{nome}" in raised.value.message and "{name}" in raised.value.message
    assert templates.db.session.scalar(select(func.count()).select_from(CertificateTemplate)) == 0


def test_images_must_be_real_pngs_or_jpegs_within_the_limit(certificate_world, app):
    template = event_template(certificate_world.e1)
    with force_locale("en"):
        _refused_images(template)
    assert templates.db.session.scalar(select(func.count()).select_from(CertificateImage)) == 0
    logo = templates.add_image(template.id, "logo", png())
    assert (logo.content_type, logo.width, logo.height) == ("image/png", 120, 60)


def _refused_images(template):
    with pytest.raises(CertificateError, match="not a PNG or JPEG"):
        templates.add_image(template.id, "logo", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(CertificateError, match="not a PNG or JPEG"):
        templates.add_image(template.id, "logo", png()[:60])  # truncated
    with pytest.raises(CertificateError, match="too large"):
        templates.add_image(template.id, "logo", b"\x89PNG" + b"0" * (1024 * 1024 + 1))
    with pytest.raises(CertificateError) as raised:
        templates.add_image(template.id, "signature", png())
    assert raised.value.field == "signer_name"


# --- production --------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_production_issues_stores_and_emails_once(certificate_world):
    w = certificate_world
    template = event_template(w.e1)
    templates.add_image(template.id, "logo", png())
    templates.add_image(
        template.id,
        "signature",
        png(200, 80, "#222"),
        signer_name="Łucja Wąs",
        signer_position="Directora",
    )
    run = produce(template.id)
    assert (run.status, run.total, run.done, run.failed) == ("finished", 2, 2, 0)
    certificates = {c.holder_name: c for c in queries.certificates_of_template(template.id)}
    assert set(certificates) == {"Ana Pérez", "Diego Souza"}
    ana = certificates["Ana Pérez"]
    assert ana.status == CertificateStatus.issued and ana.language == "es"
    assert len(ana.code) == production.CODE_LENGTH
    text = _pdf_text(service.pdf_of(ana))
    assert "Oświęcim" in text and "Ana Pérez" in text and "Łucja Wąs" in text
    assert ana.code in text
    diego = certificates["Diego Souza"]
    assert "instructor" in _pdf_text(service.pdf_of(diego))  # English, his language
    messages = templates.db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "certificate_issued")
    ).all()
    assert sorted((m.recipient_email, m.language) for m in messages) == [
        ("ana@example.org", "es"),
        ("diego@example.org", "en"),
    ]
    assert all(m.attachments[0].content_type == "application/pdf" for m in messages)

    # Again: nothing new, no second email.
    again = produce(template.id)
    assert (again.total, again.done, again.failed) == (2, 2, 0)
    assert templates.db.session.scalar(select(func.count()).select_from(Certificate)) == 2
    assert templates.db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_a_failed_pdf_fails_alone_and_is_retried(certificate_world, monkeypatch):
    template = event_template(certificate_world.e1)
    real = production.render_pdf

    def fragile(document):
        if "Diego" in document.body_markup:
            raise RuntimeError("the printer is on fire")
        return real(document)

    monkeypatch.setattr(production, "render_pdf", fragile)
    run = produce(template.id)
    assert (run.done, run.failed) == (1, 1)
    rows = {c.holder_name: c for c in queries.certificates_of_template(template.id)}
    assert rows["Ana Pérez"].status == "issued"
    assert rows["Diego Souza"].status == "failed"
    assert "printer is on fire" in rows["Diego Souza"].error
    monkeypatch.setattr(production, "render_pdf", real)
    run = produce(template.id)
    assert (run.done, run.failed) == (2, 0)
    rows = {c.holder_name: c for c in queries.certificates_of_template(template.id)}
    assert rows["Diego Souza"].status == "issued"
    assert templates.db.session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_no_production_before_the_event_is_held(certificate_world):
    certificate_world.e1.status = "closed"
    templates.db.session.commit()
    template = event_template(certificate_world.e1)
    with pytest.raises(CertificateError) as raised:
        service.request_production(template.id)
    assert raised.value.status == 409


def test_organizers_add_and_withhold_with_a_reason_audited(certificate_world):
    w = certificate_world
    template = event_template(w.e1)
    with pytest.raises(CertificateError) as raised:
        service.decide(template.id, w.people["bruno"].id, "add", "   ")
    assert raised.value.field == "reason"
    service.decide(template.id, w.people["bruno"].id, "add", "followed day 4 online")
    service.decide(template.id, w.people["diego"].id, "withhold", "left on day 2")
    entries = {e.name: e for e in queries.entries(template)}
    assert (
        entries["Bruno Silva"].eligible and entries["Bruno Silva"].note == "followed day 4 online"
    )
    assert not entries["Diego Souza"].eligible
    actions = templates.db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "certificate_template")
    ).all()
    assert "certificate_add" in actions and "certificate_withhold" in actions
    run = produce(template.id)
    names = {c.holder_name for c in queries.certificates_of_template(template.id)}
    assert names == {"Ana Pérez", "Bruno Silva"} and run.done == 2


def test_completion_certificate_for_the_cycle(certificate_world):
    template = templates.save_template(
        cycle_id=certificate_world.cycle.id, data=templates.defaults("completion")
    )
    run = produce(template.id)
    assert run.done == 1
    (certificate,) = queries.certificates_of_template(template.id)
    text = _pdf_text(service.pdf_of(certificate))
    assert "Ana Pérez" in text and "Oświęcim" in text and "Lemkin, cycle 1" not in text
    assert "ciclo 1" in text  # Spanish, Ana's language


# --- the QR code ------------------------------------------------------------------------------


def test_the_qr_code_decodes_to_the_verification_address(certificate_world, app):
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    template = event_template(certificate_world.e1)
    produce(template.id)
    certificate = queries.certificates_of_template(template.id)[0]
    page = pdfium.PdfDocument(service.pdf_of(certificate))[0]
    image = page.render(scale=2).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{app.config['BASE_URL']}/verify/{certificate.code}"]


# --- verification ------------------------------------------------------------------------------


def test_verification_of_valid_withdrawn_and_made_up_codes(certificate_world, client):
    template = event_template(certificate_world.e1)
    produce(template.id)
    ana, diego = queries.certificates_of_template(template.id)
    page = client.get(f"/verify/{ana.code}?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Valid" in body and "Ana Pérez" in body and certificate_world.e1.title in body
    assert "ana@example.org" not in body and "Cancillería" not in body  # only what it needs
    # Typed with spaces, dashes and lower case: the same certificate.
    typed = "-".join([ana.code[:4], ana.code[4:8], ana.code[8:]]).lower()
    assert client.get(f"/verify?code={typed}").status_code == 302

    service.withdraw(diego.id, "issued by mistake")
    body = client.get(f"/verify/{diego.code}?lang=en").get_data(as_text=True)
    assert "Withdrawn" in body and "no longer valid" in body
    assert "issued by mistake" not in body  # the reason is the Secretariat's

    made_up = production.new_code()
    for code in (made_up, "not-a-code", "x" * 40):
        answer = client.get(f"/verify/{code}?lang=en")
        assert answer.status_code == 404
        text = answer.get_data(as_text=True)
        assert "Not found: no certificate has this code." in text
    assert client.get(f"/verify/{made_up}").get_data() != b""


def test_withdrawal_needs_a_reason_and_is_audited(certificate_world):
    template = event_template(certificate_world.e1)
    produce(template.id)
    ana = queries.certificates_of_template(template.id)[0]
    with pytest.raises(CertificateError):
        service.withdraw(ana.id, "")
    service.withdraw(ana.id, "duplicate")
    with pytest.raises(CertificateError) as raised:
        service.withdraw(ana.id, "again")
    assert raised.value.status == 409
    entry = templates.db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "certificate_withdrawn")
    )
    assert entry.changes == {"reason": "duplicate"} and entry.person_id == ana.person_id
    with pytest.raises(CertificateError):
        service.pdf_of(ana)  # a withdrawn certificate is no longer handed out


def test_the_holder_downloads_from_the_private_link_only(certificate_world, client):
    w = certificate_world
    template = event_template(w.e1)
    produce(template.id)
    ana = next(c for c in queries.certificates_of_template(template.id) if "Ana" in c.holder_name)
    token = w.registrations[("ana", "e1")].manage_token
    page = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert f"/r/{token}/certificates/{ana.code}.pdf" in page
    download = client.get(f"/r/{token}/certificates/{ana.code}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "Ana Pérez" in _pdf_text(download.data)
    # Bruno's link does not open Ana's certificate, nor does a made-up token.
    bruno = w.registrations[("bruno", "e1")].manage_token
    assert client.get(f"/r/{bruno}/certificates/{ana.code}.pdf").status_code == 404
    assert client.get(f"/r/nope/certificates/{ana.code}.pdf").status_code == 404


def test_erasing_a_person_withdraws_their_certificates(certificate_world, client):
    """Through the privacy registry, as staff erase a person."""
    from lanet.privacy import service as privacy_service

    template = event_template(certificate_world.e1)
    produce(template.id)
    ana = next(c for c in queries.certificates_of_template(template.id) if "Ana" in c.holder_name)
    key, code, certificate_id = ana.file_key, ana.code, ana.id
    exported = privacy_service.export_person(certificate_world.people["ana"].id)
    assert code in str(exported)
    privacy_service.erase_person(certificate_world.people["ana"].id)
    templates.db.session.expire_all()
    erased = templates.db.session.get(Certificate, certificate_id)
    assert erased.status == "withdrawn" and "Ana" not in erased.holder_name
    assert templates.db.session.scalar(select(StoredFile).where(StoredFile.key == key)) is None
    body = client.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "Withdrawn" in body and "Ana" not in body and "Pérez" not in body
    # Diego's certificate is untouched.
    diego = next(
        c for c in queries.certificates_of_template(template.id) if "Diego" in c.holder_name
    )
    assert diego.status == "issued" and service.pdf_of(diego)


# --- the API ---------------------------------------------------------------------------------


def test_api_lists_downloads_and_verifies(certificate_world, client, make_user):
    from tests.fixtures.api import bearer_headers

    w = certificate_world
    template = event_template(w.e1)
    produce(template.id)
    ana = next(c for c in queries.certificates_of_template(template.id) if "Ana" in c.holder_name)
    organizer = bearer_headers(make_user("organizer", event=w.e1), "org")
    other = bearer_headers(make_user("organizer", event=w.e3), "other")
    staff = bearer_headers(make_user("staff"), "staff")

    listed = client.get(f"/api/v1/events/{w.e1.slug}/certificates", headers=organizer)
    assert listed.status_code == 200
    assert {c["holder_name"] for c in listed.json} == {"Ana Pérez", "Diego Souza"}
    assert listed.json[0]["verify_url"].endswith(f"/verify/{listed.json[0]['code']}")
    assert client.get(f"/api/v1/events/{w.e1.slug}/certificates", headers=other).status_code == 403
    assert client.get(f"/api/v1/events/{w.e1.slug}/certificates").status_code == 401

    person = client.get(f"/api/v1/people/{w.people['ana'].id}/certificates", headers=staff)
    assert [c["code"] for c in person.json] == [ana.code]
    assert (
        client.get(
            f"/api/v1/people/{w.people['ana'].id}/certificates", headers=organizer
        ).status_code
        == 403
    )

    pdf = client.get(f"/api/v1/certificates/{ana.id}/pdf", headers=organizer)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Ana Pérez" in _pdf_text(pdf.data)
    assert client.get(f"/api/v1/certificates/{ana.id}/pdf", headers=other).status_code == 403
    assert client.get("/api/v1/certificates/999999/pdf", headers=staff).status_code == 404

    verified = client.get(f"/api/v1/certificates/verify/{ana.code.lower()}")
    assert verified.status_code == 200
    assert verified.json["valid"] is True and verified.json["holder"] == "Ana Pérez"
    assert set(verified.json) == {
        "code",
        "valid",
        "holder",
        "subject",
        "dates",
        "issuer",
        "withdrawn_on",
    }
    service.withdraw(ana.id, "mistake")
    assert client.get(f"/api/v1/certificates/verify/{ana.code}").json["valid"] is False
    assert client.get(f"/api/v1/certificates/{ana.id}/pdf", headers=staff).status_code == 409
    for code in (production.new_code(), "zz", "%20"):
        answer = client.get(f"/api/v1/certificates/verify/{code}")
        assert answer.status_code == 404
        assert answer.json["detail"] == "No certificate has this code."


def test_the_management_page_shows_the_list_and_the_progress(
    certificate_world, client, make_user, login
):
    from tests.fixtures.accounts import log_in

    w = certificate_world
    log_in(client, make_user("organizer", event=w.e1))
    page = client.get(f"/manage/events/{w.e1.slug}/certificates?lang=en")
    assert page.status_code == 200 and "Save the certificate" in page.get_data(as_text=True)
    saved = client.post(
        f"/manage/events/{w.e1.slug}/certificates",
        data={
            **{f"title_{lang}": "T {name}" for lang in ("es", "pt", "en")},
            **{f"body_{lang}": "B {name} {days}" for lang in ("es", "pt", "en")},
            "issuer": "LANET",
            "min_share": "75",
            "hours_per_day": "8",
            "roles": ["participant", "instructor"],
        },
    )
    assert saved.status_code == 302
    template = queries.template_for_event(w.e1.id)
    bad = client.post(
        f"/manage/events/{w.e1.slug}/certificates?lang=en",
        data={"title_es": "{nombre}", "issuer": "", "min_share": "300", "hours_per_day": "8"},
    )
    assert bad.status_code == 422
    assert templates.db.session.get(CertificateTemplate, template.id).titles["es"] == "T {name}"
    service.request_production(template.id)
    body = client.get(f"/manage/events/{w.e1.slug}/certificates?lang=en").get_data(as_text=True)
    assert "Waiting for a worker" in body and "Bruno Silva" in body and "3 / 5" in body
    assert "too few days attended" in body
    produce(template.id)
    body = client.get(f"/manage/events/{w.e1.slug}/certificates?lang=en").get_data(as_text=True)
    assert "Finished: 2 of 2 done, 0 failed." in body
    progress = client.get(f"/manage/certificates/{template.id}/progress.json").json
    assert progress == {"status": "finished", "total": 2, "done": 2, "failed": 0}
    # An image that is not one: a field error, nothing stored.
    refused = client.post(
        f"/manage/certificates/{template.id}/images?lang=en",
        data={"kind": "logo", "image": (io.BytesIO(b"GIF89a not really"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "not a PNG or JPEG" in refused.get_data(as_text=True)
    added = client.post(
        f"/manage/certificates/{template.id}/images",
        data={"kind": "logo", "image": (io.BytesIO(png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert added.status_code == 302
    preview = client.get(f"/manage/certificates/{template.id}/preview/pt.pdf")
    assert preview.mimetype == "application/pdf" and "João" in _pdf_text(preview.data)


def test_pages_for_staff_withdraw_cycles_and_the_verify_form(certificate_world, client, make_user):
    from tests.fixtures.accounts import log_in

    w = certificate_world
    template = event_template(w.e1)
    produce(template.id)
    ana = next(c for c in queries.certificates_of_template(template.id) if "Ana" in c.holder_name)
    organizer = make_user("organizer", event=w.e1)
    log_in(client, organizer)
    refused = client.post(f"/manage/certificates/withdraw/{ana.id}", data={"reason": "x"})
    assert refused.status_code == 403  # withdrawing is the Secretariat's
    assert client.get(f"/manage/cycles/{w.cycle.id}/certificates").status_code == 403
    log_in(client, make_user("staff"))
    empty = client.post(f"/manage/certificates/withdraw/{ana.id}", data={"reason": ""})
    assert empty.status_code == 302
    assert templates.db.session.get(Certificate, ana.id).status == "issued"
    done = client.post(f"/manage/certificates/withdraw/{ana.id}", data={"reason": "duplicate"})
    assert done.status_code == 302
    templates.db.session.expire_all()
    assert templates.db.session.get(Certificate, ana.id).status == "withdrawn"
    cycle_page = client.get(f"/manage/cycles/{w.cycle.id}/certificates?lang=en")
    assert cycle_page.status_code == 200
    assert "Certificado de conclusión" in cycle_page.get_data(as_text=True)

    typed = client.get(f"/verify?code={ana.code[:4]}-{ana.code[4:].lower()}")
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{ana.code}")
    for bad in ("a/b", "short", "<script>"):
        answer = client.get("/verify", query_string={"code": bad, "lang": "en"})
        assert answer.status_code == 404
        assert "Not found: no certificate has this code." in answer.get_data(as_text=True)
    assert client.get("/verify?lang=en").status_code == 200


def test_the_email_carries_the_pdf_in_the_holders_language(certificate_world, app):
    from lanet.mail import compose

    w = certificate_world
    w.people["ana"].language = "pt"
    templates.db.session.commit()
    template = event_template(w.e1)
    produce(template.id)
    message = templates.db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient_email == "ana@example.org")
    )
    built = compose.build(message, "LANET <no-reply@lanet.local>")
    assert built["Subject"].startswith("O seu certificado: ")
    assert built["Content-Language"] == "pt"
    text = built.get_body(preferencelist=("plain",)).get_content()
    assert "/verify/" in text and "/r/" in text
    (attachment,) = list(built.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = attachment.get_payload(decode=True)
    assert "Certificado de participação" in _pdf_text(pdf) and "Ana Pérez" in _pdf_text(pdf)


def test_staff_find_the_cycle_certificates_from_a_part(certificate_world, client, make_user):
    from tests.fixtures.accounts import log_in

    w = certificate_world
    log_in(client, make_user("staff"))
    page = client.get(f"/events/{w.e1.slug}?lang=en").get_data(as_text=True)
    assert f"/manage/cycles/{w.cycle.id}/certificates" in page
    log_in(client, make_user("organizer", event=w.e1))
    page = client.get(f"/events/{w.e1.slug}?lang=en").get_data(as_text=True)
    assert f"/manage/events/{w.e1.slug}/certificates" in page
    assert f"/manage/cycles/{w.cycle.id}/certificates" not in page


def test_marking_an_event_held_queues_its_certificates_and_its_cycles(
    certificate_world, monkeypatch
):
    from lanet.certificates.models import CertificateRun
    from lanet.core import dispatch
    from lanet.events import lifecycle

    sent = []
    monkeypatch.setattr(dispatch, "send_task", lambda name, *args, **kw: sent.append((name, args)))
    w = certificate_world
    w.e1.status = "closed"
    w.e2.status = "closed"
    templates.db.session.commit()
    event_t = event_template(w.e1)
    cycle_t = templates.save_template(cycle_id=w.cycle.id, data=templates.defaults("completion"))

    lifecycle.mark_held(w.e1.id)
    runs = templates.db.session.scalars(select(CertificateRun)).all()
    assert [r.template_id for r in runs] == [event_t.id]  # part 2 not held: no cycle run yet
    assert sent == [(service.PRODUCE_TASK, (runs[0].id,))]

    lifecycle.mark_held(w.e2.id)
    runs = templates.db.session.scalars(select(CertificateRun).order_by(CertificateRun.id)).all()
    assert [r.template_id for r in runs] == [event_t.id, cycle_t.id]
    lifecycle.mark_held(w.e2.id)  # already held: nothing more
    assert len(templates.db.session.scalars(select(CertificateRun)).all()) == 2


def test_staff_save_a_cycle_template_from_its_page(certificate_world, client, make_user):
    from tests.fixtures.accounts import log_in

    w = certificate_world
    log_in(client, make_user("staff"))
    page = client.get(f"/manage/cycles/{w.cycle.id}/certificates?lang=en").get_data(as_text=True)
    assert 'name="min_share"' in page  # kept, hidden: completion has no share of days
    saved = client.post(
        f"/manage/cycles/{w.cycle.id}/certificates",
        data={
            **{f"title_{lang}": "C {name}" for lang in ("es", "pt", "en")},
            **{f"body_{lang}": "{name} {cycle} {days}" for lang in ("es", "pt", "en")},
            "issuer": "LANET",
            "min_share": "75",
            "hours_per_day": "6",
            "roles": ["participant"],
        },
    )
    assert saved.status_code == 302
    template = queries.template_for_cycle(w.cycle.id)
    assert template.kind == "completion" and template.hours_per_day == 6
    assert template.role_list == ["participant"]


def _every_pdf_route(world, client, make_user, login) -> tuple[Certificate, list]:
    """Ana's certificate from the API, the holder's link and the staff page, then the
    template's preview."""
    from tests.fixtures.api import bearer_headers

    template = event_template(world.e1)
    produce(template.id)
    ana = next(c for c in queries.certificates_of_template(template.id) if "Ana" in c.holder_name)
    staff = make_user("staff")
    token = world.registrations[("ana", "e1")].manage_token
    responses = [
        client.get(f"/api/v1/certificates/{ana.id}/pdf", headers=bearer_headers(staff, "s")),
        client.get(f"/r/{token}/certificates/{ana.code}.pdf"),
    ]
    login(client, staff)
    responses.append(client.get(f"/manage/certificates/{ana.id}.pdf"))
    responses.append(client.get(f"/manage/certificates/{template.id}/preview/en.pdf"))
    return ana, responses


def test_every_route_hands_out_the_pdf_with_the_same_headers(
    certificate_world, client, make_user, login
):
    """The API, the holder's link and the staff page answer the same file with the same
    headers: a file to save, never kept by a cache; the preview shows in the browser."""
    ana, (*downloads, preview) = _every_pdf_route(certificate_world, client, make_user, login)
    names = ("Content-Type", "Content-Disposition", "Cache-Control", "Content-Length")
    served = [{name: r.headers.get(name) for name in names} for r in downloads]
    assert served[0] == served[1] == served[2]
    assert served[0]["Content-Type"] == "application/pdf"
    assert served[0]["Content-Disposition"] == f'attachment; filename="certificate-{ana.code}.pdf"'
    assert "no-store" in served[0]["Cache-Control"]
    for response in downloads:
        assert response.status_code == 200 and response.data == service.pdf_of(ana)
    assert preview.headers["Content-Disposition"] == 'inline; filename="certificate-preview-en.pdf"'
    assert "no-store" in preview.headers["Cache-Control"]


def test_the_pdf_routes_build_their_response_in_one_place(
    certificate_world, client, make_user, login, monkeypatch
):
    """A header added in lanet/certificates/downloads.py reaches every route's PDF."""
    from lanet.certificates import downloads

    built = downloads.pdf_response

    def marked(*args, **kwargs):
        response = built(*args, **kwargs)
        response.headers["X-Built-By"] = "downloads"
        return response

    monkeypatch.setattr(downloads, "pdf_response", marked)
    _ana, responses = _every_pdf_route(certificate_world, client, make_user, login)
    assert [r.headers.get("X-Built-By") for r in responses] == ["downloads"] * 4
