"""Protection: CSRF, rate limits with Retry-After, headers, cookies and token strength."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from lanet import create_app
from lanet.accounts import service
from lanet.accounts.models import User
from lanet.extensions import db as _db
from tests.fixtures.accounts import TEST_PASSWORD
from tests.processes import start_gunicorn


@pytest.fixture()
def csrf_app(app, db, database_url):
    """The app as deployed: CSRF on (the shared test app turns it off)."""
    protected = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )
    yield protected
    with protected.app_context():
        _db.engine.dispose()
    # create_app made its Celery app the default; give the shared one back.
    app.extensions["celery"].set_default()


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the form carries no CSRF token"
    return match.group(1)


def test_forms_without_a_csrf_token_are_refused(csrf_app, make_user):
    user = make_user("staff")
    client = csrf_app.test_client()
    refused = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert refused.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session

    token = _csrf_token(client.get("/login").get_data(as_text=True))
    forged = client.post(
        "/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": "x" + token}
    )
    assert forged.status_code == 400

    accepted = client.post(
        "/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302


def test_state_changing_staff_posts_need_the_csrf_token(csrf_app, make_user, db):
    staff = make_user("staff")
    other = make_user(None)
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"email": staff.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert client.post(f"/staff/users/{other.id}/active").status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/staff/users").status_code == 200  # a forged logout changed nothing
    db.session.expire_all()
    assert db.session.get(User, other.id).active

    page = client.get(f"/staff/users/{other.id}").get_data(as_text=True)
    client.post(f"/staff/users/{other.id}/active", data={"csrf_token": _csrf_token(page)})
    db.session.expire_all()
    assert not db.session.get(User, other.id).active


def test_every_page_carries_the_security_headers(client, db):
    for path in ("/login", "/password/forgot", "/staff/audit", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}


def test_pages_have_no_inline_script(client, db, make_user, login):
    login(client, make_user("staff"))
    for path in ("/login", "/password/forgot", "/staff/users", "/staff/audit", "/staff/people"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_session_cookies_are_secure_behind_https(database_url, app):
    https = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "BASE_URL": "https://lanet.org"}
    )
    app.extensions["celery"].set_default()
    assert https.config["SESSION_COOKIE_SECURE"] is True
    assert https.config["REMEMBER_COOKIE_SECURE"] is True
    assert https.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with https.app_context():
        response = https.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers


def test_reset_links_are_not_cached_nor_sent_as_referer(client, db, make_user):
    user = make_user("staff")
    service.request_password_reset(user.email)
    from lanet.mail.models import OutboxMessage

    url = db.session.scalar(_db.select(OutboxMessage)).context["reset_url"]
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_link_tokens_are_256_bits_and_only_their_digest_is_kept(app, db, make_user):
    user = make_user("staff")
    with app.test_request_context():
        raw_tokens = set()
        for _ in range(3):
            service.request_password_reset(user.email)
    from lanet.mail.models import OutboxMessage

    for message in db.session.scalars(_db.select(OutboxMessage)):
        raw_tokens.add(message.context["reset_url"].rsplit("/", 1)[1])
    assert len(raw_tokens) == 3
    assert all(len(t) == 43 for t in raw_tokens)  # 32 random bytes
    stored = {t.token_hash for t in db.session.scalars(_db.select(service.UserToken))}
    assert stored == {service.token_digest(t) for t in raw_tokens}


def test_the_shared_limits_are_in_the_config(app):
    from limits import parse_many

    for name in ("RATELIMIT_REGISTRATION", "RATELIMIT_LOGIN", "RATELIMIT_PASSWORD_RESET"):
        assert parse_many(app.config[name]), name


@pytest.fixture()
def limited_server(service_env, db, tmp_path):
    """A real gunicorn with rate limiting on (Redis storage when the run has REDIS_URL)."""
    env = {
        **service_env,
        "RATELIMIT_KEY_PREFIX": f"accounts-limit-{uuid.uuid4().hex}",
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_LOGIN": "3 per minute",
        "RATELIMIT_PASSWORD_RESET": "2 per minute",
        "RATELIMIT_REGISTRATION": "2 per minute",
        "API_RATE_LIMIT": "3 per minute",
        "WTF_CSRF_ENABLED": "0",
    }
    process, url = start_gunicorn(env, tmp_path / "gunicorn.log", workers=1, threads=2)
    yield url
    process.stop()


@pytest.mark.slow
def test_login_reset_registration_and_api_answer_429_with_retry_after(limited_server):
    login = [
        requests.post(
            f"{limited_server}/login",
            data={"email": f"guess{n}@example.org", "password": "wrong password"},
            timeout=60,
        )
        for n in range(4)
    ]
    assert [r.status_code for r in login] == [400, 400, 400, 429]
    assert int(login[-1].headers["Retry-After"]) > 0
    # Looking at the form is not limited; only attempts are.
    assert requests.get(f"{limited_server}/login", timeout=60).status_code == 200

    reset = [
        requests.post(
            f"{limited_server}/password/forgot", data={"email": "x@example.org"}, timeout=60
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in reset] == [200, 200, 429]
    assert int(reset[-1].headers["Retry-After"]) > 0

    register = [
        requests.post(f"{limited_server}/events/no-such-event/register", data={}, timeout=60)
        for _ in range(3)
    ]
    assert register[-1].status_code == 429
    assert [r.status_code for r in register[:2]] != [429, 429]
    assert int(register[-1].headers["Retry-After"]) > 0

    api = [requests.get(f"{limited_server}/api/v1/events", timeout=60) for _ in range(4)]
    assert [r.status_code for r in api] == [200, 200, 200, 429]
    assert int(api[-1].headers["Retry-After"]) > 0


@pytest.mark.services
def test_a_link_used_by_two_requests_at_once_works_once(app, db, make_user):
    """Two submissions of one reset link race; the conditional UPDATE lets exactly one win."""
    import threading

    from lanet.accounts.passwords import verify_password

    user = make_user("staff")
    service.request_password_reset(user.email)
    from lanet.mail.models import OutboxMessage

    raw = db.session.scalar(_db.select(OutboxMessage)).context["reset_url"].rsplit("/", 1)[1]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def submit(password: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                service.set_password_with_link(raw, password)
                outcomes[password] = "set"
            except service.InvalidToken:
                outcomes[password] = "refused"
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=submit, args=(p,)) for p in ("first password", "second password")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["refused", "set"]
    winner = next(p for p, result in outcomes.items() if result == "set")
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, winner)
