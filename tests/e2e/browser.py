"""What many browser tests do the same way: signing in through the real login form."""

from __future__ import annotations

from tests.fixtures.accounts import TEST_PASSWORD


def sign_in(page, live_server: str, email: str, *, lang: str = "en") -> None:
    """Signs in as a person would: the login page, the two fields, the form's own button.

    The login page has other forms (the language switch), hence the button of the form that
    holds the password field. Fails at once, naming the address, when the sign-in did not take,
    rather than several steps later on a page that needs it.
    """
    page.goto(f"{live_server}/login?lang={lang}")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(TEST_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"signing in as {email} failed: still on {page.url}"
