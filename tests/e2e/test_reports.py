"""Issue 15, journeys 7 and 13: staff download the annual report's PDF in chromium and its text
holds the Polish, Spanish and Portuguese names; the report says when its totals were compiled."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from lanet.extensions import db as _db
from tests.e2e.browser import sign_in


def test_report_pdf_downloaded_in_the_browser_prints_oswiecim(
    world, make_user, live_server, browser, artifacts
):
    world.e1.city = "Oświęcim"
    world.e2.city = "São Paulo"
    _db.session.commit()
    staff = make_user("staff", language="es")
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, staff.email, lang="es")
        page.goto(f"{live_server}/staff/reports/2014?lang=es")
        page.screenshot(path=str(artifacts / "report-2014-es-390.png"), full_page=True)
        with page.expect_download() as download_info:
            page.locator("a.download", has_text="PDF").click()
        download = download_info.value
        content = Path(download.path()).read_bytes()
        assert content.startswith(b"%PDF")
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        assert "Oświęcim" in text
        assert "São Paulo" in text
    finally:
        context.close()
