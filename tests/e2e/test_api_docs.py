"""The API documentation page: the vendored Swagger UI renders the document under the strict
CSP, with nothing loaded from another origin."""

from __future__ import annotations


def test_api_documentation_renders_locally(db, live_server, page, artifacts):
    requests_seen: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests_seen.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server}/api/v1/docs?lang=en")
    page.wait_for_selector(".opblock-tag-section", timeout=20_000)
    assert page.locator(".opblock").count() >= 15
    page.locator(
        ".opblock-summary-path", has_text="/api/v1/events/{slug}/registrations"
    ).first.click()
    page.screenshot(path=str(artifacts / "api-docs.png"), full_page=False)

    assert all(url.startswith(live_server) for url in requests_seen), requests_seen
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert page.locator("text=Failed to load API definition").count() == 0
