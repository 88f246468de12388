"""The bulletin in chromium with a real gunicorn, Celery worker and SMTP server: staff have
the 2014 H1 draft written by the worker, edit and preview it in Portuguese, send it to a list
of 200 and watch the progress bar reach the end; the messages arrive in each recipient's
language with List-Unsubscribe headers. Every page is also checked at 390 px."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from lanet.bulletin.models import Bulletin, BulletinDelivery, BulletinSend, Contact
from tests.e2e.browser import sign_in
from tests.fixtures.bulletin import add_contacts, everyone_list
from tests.fixtures.mail import sink_env
from tests.processes import start_worker

pytestmark = [pytest.mark.slow, pytest.mark.services]

PHONE = {"width": 390, "height": 844}
RECIPIENTS = 200
SUBJECT_PT = "Boletim da LANET: primeiro semestre de 2014"


@pytest.fixture(autouse=True)
def _needs_postgres_and_redis(on_postgres):
    if not on_postgres:
        pytest.skip("a real worker needs PostgreSQL and Redis (LANET_TEST_DB=postgres)")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_staff_draft_edit_preview_in_pt_and_send_to_200_with_progress(
    seeded, make_user, live_server, browser, smtp_sink, service_env, artifacts, tmp_path
):
    db = seeded
    staff = make_user("staff", email="secretaria@lanet.example", language="pt")
    add_contacts(RECIPIENTS, prefix="autoridade")
    everyone_list("Todos os contatos")
    env = sink_env(service_env, smtp_sink, MAIL_RATE_PER_MINUTE="0", BULLETIN_EXPAND_BATCH="40")
    # A server taking 50 ms a message, as a provider may: the send lasts seconds, so the page's
    # once-a-second poll sees the bar move (delivery alone now sends 200 within one poll).
    smtp_sink.data_delay = 0.05
    worker = start_worker(env, tmp_path / "worker.log", queues="celery,mail,reports")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pt-BR")
    page = context.new_page()
    try:
        sign_in(page, live_server, staff.email, lang="pt")
        page.goto(f"{live_server}/staff/bulletins?lang=pt")
        page.get_by_label("Primeiro dia do período").fill("2014-01-01")
        page.get_by_label("Último dia do período").fill("2014-06-30")
        page.get_by_role("button", name="Redigir o rascunho").click()
        # The worker writes the draft; the page reloads itself until then.
        page.wait_for_selector("form.bulletin-editor", timeout=90_000)
        page.get_by_role("link", name="Português").last.click()
        body = page.get_by_label("Texto (Markdown)")
        text = body.input_value()
        assert "## Atividades realizadas" in text and "## Participantes por país" in text
        assert "Seminário Raphael Lemkin, ciclo 1, parte 2" in text
        assert page.get_by_label("Assunto").input_value() == SUBJECT_PT
        edited = text.replace(
            "## Atividades realizadas",
            "Caros colegas, este é o primeiro boletim da Rede.\n\n## Atividades realizadas",
            1,
        )
        body.fill(edited)
        page.get_by_role("button", name="Salvar").click()
        assert page.locator(".flash").inner_text() == "Salvo."

        page.get_by_role("link", name="Pré-visualizar como página").click()
        article = page.locator("article.bulletin-body")
        assert "Caros colegas, este é o primeiro boletim da Rede." in article.inner_text()
        assert article.locator("h2", has_text="Atividades realizadas").count() == 1
        assert article.locator("table").count() == 1
        page.screenshot(path=str(artifacts / "bulletin-2014-h1-preview-pt.png"), full_page=True)

        page.get_by_role("link", name="Como e-mail").click()
        assert page.locator("h1").inner_text() == SUBJECT_PT
        frame = page.frame_locator("iframe.mail-frame")
        assert "Caros colegas" in frame.locator("body").inner_text()
        assert "Cancelar a assinatura" in frame.locator("body").inner_text()
        headers = page.locator(".mail-headers").inner_text()
        assert "/bulletin/unsubscribe/" in headers and "List-Unsubscribe=One-Click" in headers
        page.screenshot(path=str(artifacts / "bulletin-2014-h1-email-pt.png"), full_page=True)

        page.get_by_role("link", name="Voltar à edição").click()
        page.get_by_role("button", name=re.compile("Enviar um teste para")).click()
        assert "secretaria@lanet.example" in page.locator(".flash").inner_text()

        page.get_by_label("Lista de distribuição").select_option(
            label=f"Todos os contatos ({RECIPIENTS})"
        )
        # A double click sends once.
        page.get_by_role("button", name="Enviar para esta lista").dblclick()
        page.wait_for_selector(".send-progress")
        bar = page.locator(".send-progress progress")
        seen_values = set()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            seen_values.add(int(float(bar.get_attribute("value") or 0)))
            if "send-finished" in (page.locator(".send-progress").get_attribute("class") or ""):
                break
            time.sleep(0.25)
        assert page.locator(".send-state").inner_text() == "Concluído."
        assert bar.get_attribute("max") == str(RECIPIENTS)
        assert bar.get_attribute("value") == str(RECIPIENTS)
        counts = {
            name: page.locator(f'[data-count="{name}"]').inner_text()
            for name in ("total", "queued", "sent", "failed", "skipped")
        }
        assert counts == {
            "total": "200",
            "queued": "200",
            "sent": "200",
            "failed": "0",
            "skipped": "0",
        }
        # The bar moved while the send ran, not only at the end.
        assert len(seen_values) > 2, seen_values
        page.screenshot(path=str(artifacts / "bulletin-send-progress-pt.png"), full_page=True)

        messages = smtp_sink.wait_for(RECIPIENTS + 1, timeout=60)
        time.sleep(1)
        assert len(smtp_sink.messages) == RECIPIENTS + 1  # and the test copy, nothing twice
        languages = {c.email: c.language for c in db.session.scalars(select(Contact))}
        subjects = {
            "es": "Boletín de LANET: primer semestre de 2014",
            "pt": SUBJECT_PT,
            "en": "LANET bulletin: first half of 2014",
        }
        for message in messages:
            address = message["To"].addresses[0].addr_spec
            if address == staff.email:
                continue
            language = languages[address]
            assert message["Content-Language"] == language
            assert str(message["Subject"]) == subjects[language]
            assert re.fullmatch(
                r"<https?://\S+/bulletin/unsubscribe/\S+>", str(message["List-Unsubscribe"]).strip()
            )
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(BulletinSend)) == 1
        assert db.session.scalar(select(func.count()).select_from(BulletinDelivery)) == RECIPIENTS
        bulletin = db.session.scalar(select(Bulletin))
        assert bulletin.status == "published"

        # The same pages on a phone: nothing scrolls sideways.
        phone = browser.new_context(viewport=PHONE, locale="pt-BR")
        small = phone.new_page()
        sign_in(small, live_server, staff.email, lang="pt")
        for path in (
            f"/staff/bulletins/{bulletin.id}?edit=pt",
            f"/staff/bulletins/{bulletin.id}/preview/pt",
            f"/staff/bulletins/{bulletin.id}/preview/pt/email",
            "/staff/bulletins",
            "/staff/contacts",
            "/bulletin/",
            f"/bulletin/{bulletin.id}/pt",
            "/bulletin/subscribe",
        ):
            small.goto(f"{live_server}{path}")
            if path.endswith("/email"):
                # The message itself, framed: wait until it is drawn.
                mail_body = small.frame_locator("iframe.mail-frame").locator("body")
                assert "Caros colegas" in mail_body.inner_text()
                # Chromium paints an off-screen frame only once it has been on screen.
                small.locator("iframe.mail-frame").scroll_into_view_if_needed()
                small.wait_for_timeout(1000)
                small.screenshot(path=str(artifacts / "bulletin-2014-h1-email-pt-390.png"))
                small.evaluate("window.scrollTo(0, 0)")
            name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-")
            small.screenshot(path=str(artifacts / f"bulletin-390-{name}.png"), full_page=True)
            assert _fits(small), f"{path} scrolls sideways at 390 px"
        phone.close()
    finally:
        context.close()
        worker.stop()
