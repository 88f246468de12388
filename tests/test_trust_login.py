"""Issue 14, item 6: the sign-in lockout counts failures per account and client address, so
that a stranger's wrong guesses never lock the owner out."""

from __future__ import annotations

import pytest

from tests.fixtures.accounts import TEST_PASSWORD


@pytest.fixture()
def limits_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    # The per-address attempt limit is not what is tested here.
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "1000 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_KEY_PREFIX", f"lockout-{id(monkeypatch)}")


def _post(app, address: str, email: str, password: str):
    client = app.test_client()
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_strangers_wrong_guesses_never_lock_the_owner_out(app, db, make_user, limits_on):
    owner = make_user("staff")
    guesses = [_post(app, "203.0.113.9", owner.email, f"guess {n}") for n in range(25)]
    assert [r.status_code for r in guesses[:5]] == [400] * 5
    assert {r.status_code for r in guesses[5:]} == {429}
    assert int(guesses[-1].headers["Retry-After"]) > 0
    # The guessing address is refused even with the right password …
    assert _post(app, "203.0.113.9", owner.email, TEST_PASSWORD).status_code == 429
    # … the owner, from their own address, is not.
    signed_in = _post(app, "198.51.100.7", owner.email, TEST_PASSWORD)
    assert signed_in.status_code == 302


def test_right_passwords_are_not_counted(app, db, make_user, limits_on):
    owner = make_user("staff")
    for _ in range(25):
        assert _post(app, "198.51.100.8", owner.email, TEST_PASSWORD).status_code == 302


def test_a_success_clears_the_addresss_earlier_failures(app, db, make_user, limits_on):
    owner = make_user("staff")
    for _ in range(4):
        assert _post(app, "198.51.100.9", owner.email, "typo").status_code == 400
    assert _post(app, "198.51.100.9", owner.email, TEST_PASSWORD).status_code == 302
    for _ in range(4):
        assert _post(app, "198.51.100.9", owner.email, "typo").status_code == 400
    assert _post(app, "198.51.100.9", owner.email, TEST_PASSWORD).status_code == 302
