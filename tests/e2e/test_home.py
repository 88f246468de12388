"""The home page in each of the three languages, in a real browser."""

from __future__ import annotations

import pytest

EXPECTED = {
    "es": "Seminarios y eventos de la Red",
    "pt": "Seminários e eventos da Rede",
    "en": "Seminars and events of the Network",
}


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_home_page_in_each_language(seeded, live_server, page, artifacts, language):
    page.goto(f"{live_server}/?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == EXPECTED[language]
    cards = page.locator(".event-card")
    # The report's 21 events, and the demo's three forthcoming ones (Lemkin cycle 3, the
    # Focal Points meeting).
    assert cards.count() == 24
    page.screenshot(path=str(artifacts / f"home-{language}.png"), full_page=True)


def test_language_switch_keeps_the_page(seeded, live_server, page):
    page.goto(f"{live_server}/events?kind=lemkin_seminar&lang=en")
    page.get_by_role("link", name="Português").click()
    assert page.locator("html").get_attribute("lang") == "pt"
    assert "kind=lemkin_seminar" in page.url
    assert page.locator(".event-card").count() == 6  # cycles 1 and 2, and the coming cycle 3
