"""Signing in, out, and choosing a new password through the emailed link, in chromium."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from lanet.mail.models import OutboxMessage
from tests.fixtures.accounts import TEST_PASSWORD


def _sign_in(page, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_login_logout_and_password_reset(db, make_user, live_server, page, artifacts):
    user = make_user("staff", email="secretariat@e2e.lanet.example", first_name="Sofía")

    # A wrong password: the form stays, with one answer that names no account.
    _sign_in(page, live_server, user.email, "not the password")
    assert page.locator(".field-error").inner_text() == "The email or the password is not right."

    _sign_in(page, live_server, user.email, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/account")
    assert page.locator("h1").inner_text() == "Your account"
    assert page.locator("nav.main-nav").get_by_role("link", name="Audit log").count() == 1
    page.screenshot(path=str(artifacts / "accounts-signed-in.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    assert page.locator(".flash").inner_text() == "You have signed out."
    assert page.get_by_role("link", name="Sign in").count() == 1

    # Forgot the password: the link arrives through the outbox.
    page.goto(f"{live_server}/password/forgot?lang=en")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    assert page.locator("h1").inner_text() == "Check your email"
    db.session.expire_all()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "password_reset")
    )
    assert message.recipient_email == user.email
    reset_path = urlsplit(message.context["reset_url"]).path

    page.goto(f"{live_server}{reset_path}")
    page.locator("#password").fill("a new secretariat password")
    page.get_by_label("Repeat the new password").fill("a new secretariat password")
    page.screenshot(path=str(artifacts / "accounts-reset.png"), full_page=True)
    page.get_by_role("button", name="Save the password").click()
    assert page.locator(".flash").inner_text() == "Your password is set. You can sign in now."

    # The link worked once.
    page.goto(f"{live_server}{reset_path}")
    assert page.locator("h1").inner_text() == "Link not valid"

    _sign_in(page, live_server, user.email, "a new secretariat password")
    page.wait_for_url(f"{live_server}/account")
    page.goto(f"{live_server}/staff/audit")
    page.screenshot(path=str(artifacts / "accounts-audit.png"), full_page=True)
    assert page.locator("code", has_text="password_set").count() == 1


def test_staff_invite_a_focal_point_in_the_browser(db, make_user, live_server, page, artifacts):
    from tests.fixtures.accounts import ensure_country

    ensure_country("UY")
    db.session.commit()
    staff = make_user("staff", email="invites@e2e.lanet.example")
    _sign_in(page, live_server, staff.email, TEST_PASSWORD)
    page.wait_for_url(f"{live_server}/account")
    page.goto(f"{live_server}/staff/users?lang=en")
    page.get_by_label("Email").fill("focal.uy@example.org")
    page.get_by_label("First name").fill("Lucía")
    page.get_by_label("Last name").fill("Pereira")
    page.locator("#role").select_option("focal_point")
    page.locator("#country_code").select_option("UY")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.locator(".flash").inner_text() == "Invitation sent to focal.uy@example.org."
    row = page.locator("tr", has_text="focal.uy@example.org")
    assert "Focal point of UY" in row.inner_text() and "Invited" in row.inner_text()
    page.screenshot(path=str(artifacts / "accounts-users.png"), full_page=True)
