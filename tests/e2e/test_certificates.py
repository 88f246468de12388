"""Certificates in chromium: staff define a template, preview it in Portuguese, produce the
certificates of a held event with a real worker while the page shows the progress, and a
participant downloads theirs from the private link on a phone (390 px)."""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lanet.certificates.models import Certificate
from lanet.extensions import db as _db
from lanet.network.models import Person
from tests.e2e.browser import sign_in
from tests.fixtures.attendance import register
from tests.fixtures.certificates import attend, days_from
from tests.processes import start_worker

PHONE = {"width": 390, "height": 844}


def _text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _first_page_png(pdf: bytes, path: Path) -> None:
    """The first page as a picture to look at; pdfium is a test dependency, poppler is not."""
    pdfium.PdfDocument(pdf)[0].render(scale=70 / 72).to_pil().save(path)


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => ![...e.children].some(
                c => c.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
    )
    assert width <= PHONE["width"], f"the page is {width} px wide: {wide}"


@pytest.fixture()
def certificates_worker(service_env, tmp_path):
    worker = start_worker(service_env, tmp_path / "worker.log", queues="reports", concurrency=1)
    yield worker
    worker.stop()


def test_staff_define_preview_produce_and_a_participant_downloads(
    world, make_user, live_server, browser, page, artifacts, certificates_worker, tmp_path
):
    event = world.e1
    event.city = "Oświęcim"
    # Enough people for the progress to be seen moving.
    for n in range(40):
        person = Person(
            first_name=f"Łucja {n}",
            last_name="Wiśniewska-Gonçalves",
            email=f"lucja{n}@example.org",
            country_code="BR",
            language="pt",
        )
        attend(register(person, event), *days_from(event.start_date, 5))
    attend(world.registrations[("ana", "e1")], *days_from(event.start_date, 4))
    _db.session.commit()
    staff = make_user("staff", language="en")

    sign_in(page, live_server, staff.email)
    page.goto(f"{live_server}/events/{event.slug}?lang=en")
    page.get_by_role("link", name="Certificates", exact=True).click()
    expect(page.locator("h1")).to_have_text("Certificates")
    page.get_by_label("Title (Português)").fill("Certificado de participação — {nome}")
    page.get_by_role("button", name="Save the certificate").click()
    expect(page.locator(".field-error")).to_contain_text("Unknown placeholder {nome}")
    page.get_by_label("Title (Português)").fill("Certificado de participação")
    page.get_by_role("button", name="Save the certificate").click()
    expect(page.locator(".flash-success")).to_have_text("The certificate is saved.")

    # The Portuguese preview: a PDF with sample data, in Portuguese.
    link = page.locator("a[data-preview=pt]")
    preview = page.request.get(live_server + link.get_attribute("href"))
    assert preview.headers["content-type"] == "application/pdf"
    text = _text(preview.body())
    assert "Certificado de participação" in text and "Oświęcim" in text
    assert "João Conceição Gonçalves" in text and "participante" in text
    _first_page_png(preview.body(), artifacts / "certificate-preview-pt.png")

    page.get_by_role("button", name="Produce the certificates").click()
    progress = page.locator("#certificate-progress-text")
    expect(progress).to_be_visible()
    page.screenshot(path=str(artifacts / "certificates-producing.png"), full_page=True)
    expect(progress).to_have_text(re.compile(r"Finished: 41 of 41 done, 0 failed"), timeout=120000)
    expect(page.locator("#issued tbody tr")).to_have_count(41)
    page.screenshot(path=str(artifacts / "certificates-produced.png"), full_page=True)
    # The organizers' page fits a phone too (wide tables scroll inside their box).
    page.set_viewport_size(PHONE)
    page.reload()
    _no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts / "certificates-manage-390.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # Ana, on her phone, from her private link.
    _db.session.expire_all()
    ana = _db.session.scalar(
        select(Certificate).where(Certificate.person_id == world.people["ana"].id)
    )
    assert ana is not None and ana.status == "issued"
    phone = browser.new_context(viewport=PHONE, accept_downloads=True)
    mobile = phone.new_page()
    token = world.registrations[("ana", "e1")].manage_token
    mobile.goto(f"{live_server}/r/{token}?lang=pt")
    panel = mobile.locator("#certificates")
    expect(panel).to_contain_text(ana.code)
    _no_horizontal_scroll(mobile)
    mobile.screenshot(path=str(artifacts / "certificate-private-link-390.png"), full_page=True)
    with mobile.expect_download() as download_info:
        mobile.get_by_role("link", name="Baixar o certificado (PDF)").click()
    downloaded = download_info.value.path().read_bytes()
    text = _text(downloaded)
    assert "Ana Pérez" in text and "Oświęcim" in text and ana.code in text
    (artifacts / "certificate-ana.pdf").write_bytes(downloaded)
    _first_page_png(downloaded, artifacts / "certificate-ana.png")

    # Anyone, on a phone, verifies the code.
    mobile.goto(f"{live_server}/verify/{ana.code}?lang=en")
    expect(mobile.locator(".verification-status")).to_contain_text("valid")
    expect(mobile.locator(".verification-result")).to_contain_text("Ana Pérez")
    _no_horizontal_scroll(mobile)
    mobile.screenshot(path=str(artifacts / "certificate-verification-390.png"), full_page=True)
    mobile.goto(f"{live_server}/verify/{secrets.token_hex(8).upper()}?lang=en")
    expect(mobile.locator(".flash-error")).to_have_text("Not found: no certificate has this code.")
    phone.close()
