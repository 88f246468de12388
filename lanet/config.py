"""Every setting comes from the environment; with nothing set, LANET runs on one machine
with SQLite, a filesystem Celery broker and mail written into a folder."""

from __future__ import annotations

import os
from pathlib import Path

from kombu import Exchange, Queue

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    return float(value) if value else default


def log_settings() -> tuple[str, str]:
    """LOG_FORMAT (json, or text for a terminal) and LOG_LEVEL; read before any app exists,
    when Celery sets up a worker's logging."""
    return (
        (os.environ.get("LOG_FORMAT") or "json").lower(),
        (os.environ.get("LOG_LEVEL") or "INFO").upper(),
    )


def beat_intervals() -> dict[str, float]:
    """Seconds between beat's periodic runs; workers/ reads them when it builds the schedule."""
    return {
        "MAIL_RELAY_SECONDS": _float("MAIL_RELAY_SECONDS", 30.0),
        "REGISTRATION_SWEEP_SECONDS": _float("REGISTRATION_SWEEP_SECONDS", 60.0),
    }


# Flask-Limiter strings. The registration feature applies RATELIMIT_REGISTRATION with
# `lanet.accounts.limits.registration_limit`; the API applies API_RATE_LIMIT per token.
RATE_LIMITS = {
    "RATELIMIT_LOGIN": "10 per minute; 60 per hour",
    # Failed sign-ins allowed per account from one client address (lanet/accounts/lockout.py).
    "LOGIN_FAILURES_PER_ADDRESS": "5 per 15 minutes",
    "RATELIMIT_PASSWORD_RESET": "5 per minute; 20 per hour",
    "RATELIMIT_REGISTRATION": "10 per minute; 100 per hour",
    "API_RATE_LIMIT": "300/minute",
}


def instance_path() -> Path:
    return Path(os.environ.get("LANET_INSTANCE", ROOT / "instance")).resolve()


def _sqlalchemy_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance / 'lanet.sqlite3'}"
    # Heroku-style and plain postgres URLs both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _broker(instance: Path) -> tuple[str, dict]:
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        # While Redis is down, a publish fails at once (the outbox relay and the sweeps send
        # again later) instead of holding a web request for kombu's default ~6 s of retries.
        return redis_url, {
            "visibility_timeout": 3600,
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        }
    folder = instance / "broker"
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    # The filesystem transport needs no server; web, worker and beat share the folder.
    return "filesystem://", {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def load() -> dict:
    """The Flask configuration, read from the environment at call time."""
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    broker_url, transport_options = _broker(instance)
    mail_server = os.environ.get("MAIL_SERVER", "")
    log_format, log_level = log_settings()
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-not-secret-change-me"),
        # The key of private and invitation links (lanet/core/tokens.py): the database keeps
        # only a nonce and a hash, the link is HMAC(TOKEN_KEY, nonce). Unset, it is derived
        # from SECRET_KEY. Changing it changes every link: run `flask --app wsgi tokens
        # rehash` right after, so links already emailed keep working (docs/production.md).
        "TOKEN_KEY": os.environ.get("TOKEN_KEY", ""),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(instance),
        # A connection the server dropped is replaced on checkout; on psycopg without the ping's
        # round trip (lanet/core/connections.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "LANET <no-reply@lanet.local>"
        ),
        # Without MAIL_SERVER, messages are written as .eml files into this folder.
        "MAIL_FOLDER": os.environ.get("MAIL_FOLDER", str(instance / "mail")),
        "MAIL_RATE_PER_MINUTE": _int("MAIL_RATE_PER_MINUTE", 600),
        # The outbox (lanet/mail/service.py): messages claimed at once and sent over one SMTP
        # connection; seconds a claim lasts unless renewed (a dead worker's messages go out
        # again after it); the first backoff, doubled per attempt with jitter, and its ceiling;
        # attempts (claims) before a message is marked failed; one delivery task's time budget
        # before it hands over; delivery tasks the relay queues at most per run.
        "MAIL_BATCH_SIZE": _int("MAIL_BATCH_SIZE", 50),
        "MAIL_SENDING_TIMEOUT": _int("MAIL_SENDING_TIMEOUT", 90),
        "MAIL_RETRY_BASE_SECONDS": _int("MAIL_RETRY_BASE_SECONDS", 30),
        "MAIL_RETRY_MAX_SECONDS": _int("MAIL_RETRY_MAX_SECONDS", 6 * 3600),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 10),
        "MAIL_TASK_SECONDS": _int("MAIL_TASK_SECONDS", 120),
        "MAIL_RELAY_MAX_TASKS": _int("MAIL_RELAY_MAX_TASKS", 4),
        # After a commit that queued mail, the delivery task is sent at most once per this many
        # seconds per process, commits within the window covered by one send at its end
        # (lanet/core/dispatch.py wake_after_commit): unset means 0.25, or 0 in tests.
        "DISPATCH_WAKE_SECONDS": _float("DISPATCH_WAKE_SECONDS", None),
        **beat_intervals(),
        # Accounts: how long a password-reset and an account-invitation link work, and the
        # least time every reset request takes to answer (bench/login_timing.py).
        "PASSWORD_RESET_TTL_MINUTES": _int("PASSWORD_RESET_TTL_MINUTES", 30),
        "ACCOUNT_INVITATION_TTL_HOURS": _int("ACCOUNT_INVITATION_TTL_HOURS", 72),
        "PASSWORD_RESET_MIN_SECONDS": _float("PASSWORD_RESET_MIN_SECONDS", 0.4),
        **{name: os.environ.get(name, default) for name, default in RATE_LIMITS.items()},
        # The public pages' cache (lanet/core/pagecache.py): unset means 10 s, or off in tests.
        "PAGE_CACHE_SECONDS": _float("PAGE_CACHE_SECONDS", None),
        "PAGE_CACHE_RECHECK_SECONDS": _float("PAGE_CACHE_RECHECK_SECONDS", 1.0),
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": log_level,
        # Registration: how long a waiting-list seat offer holds, and how many days before
        # the event confirmed participants get their reminder.
        "REGISTRATION_OFFER_HOURS": _int("REGISTRATION_OFFER_HOURS", 48),
        "REGISTRATION_REMINDER_DAYS": _int("REGISTRATION_REMINDER_DAYS", 3),
        # PostgreSQL: how long a request waits for an event's seat lock before it answers
        # "busy, try again" (SET LOCAL lock_timeout), and the Retry-After it suggests.
        "SEAT_LOCK_TIMEOUT_MS": _int("SEAT_LOCK_TIMEOUT_MS", 3000),
        "SEAT_BUSY_RETRY_AFTER_SECONDS": _int("SEAT_BUSY_RETRY_AFTER_SECONDS", 2),
        # Bulletin: how long an unsubscribe link and a subscription's confirmation link work,
        # and how many recipients one worker task writes into the outbox at a time.
        "BULLETIN_UNSUBSCRIBE_DAYS": _int("BULLETIN_UNSUBSCRIBE_DAYS", 730),
        "BULLETIN_CONFIRM_DAYS": _int("BULLETIN_CONFIRM_DAYS", 7),
        "BULLETIN_EXPAND_BATCH": _int("BULLETIN_EXPAND_BATCH", 500),
        # Bulk sends (an invitation CSV, a long list of addresses): rows one worker task
        # processes in one transaction (lanet/registration/import_jobs.py), and the most
        # addresses the page's box or the API's list sends inside the request; more are queued.
        "IMPORT_CHUNK_ROWS": _int("IMPORT_CHUNK_ROWS", 200),
        "INVITE_INLINE_MAX": _int("INVITE_INLINE_MAX", 50),
        # A finished bulk send's rows (addresses, failure messages) are deleted this many days
        # after it finished; the job's counts stay (docs/imports.md, "Privacy").
        "IMPORT_ROWS_RETENTION_DAYS": _int("IMPORT_ROWS_RETENTION_DAYS", 30),
        # Logos and signature images on certificates: the largest upload accepted.
        "CERTIFICATE_IMAGE_MAX_BYTES": _int("CERTIFICATE_IMAGE_MAX_BYTES", 1024 * 1024),
        # Test configuration only, deliberately not read from the environment: the concurrency
        # test's app (tests/apps.py) sets it to show the race the seat lock prevents.
        "SEAT_LOCK_DISABLED_FOR_TESTS": False,
        "FILES_FOLDER": os.environ.get("FILES_FOLDER", str(instance / "files")),
        # Test configuration only, never read from the environment: the capacity-edit
        # concurrency test's app (tests/apps.py) sets it to show the race the edit lock prevents.
        "EVENT_EDIT_LOCK_DISABLED_FOR_TESTS": False,
        # No request body past this (uploads included): 413 with a clear page, at once.
        "MAX_CONTENT_LENGTH": _int("LANET_MAX_REQUEST_BYTES", 10 * 1024 * 1024),
        # Demo conveniences (/dev/mail/, the demo password on /login, demo accounts from
        # `seed demo`) only when switched on explicitly, as `./manage.sh run` does; never
        # because some other setting is missing.
        "DEV_PAGES": _bool("LANET_DEV_PAGES"),
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["es", "pt", "en"],
        "WTF_CSRF_ENABLED": _bool("WTF_CSRF_ENABLED", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # Separate deployments (or test servers) sharing one Redis keep separate counters.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "lanet"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: limits fall back to each process's memory instead of failing requests.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "CELERY": {
            "broker_url": broker_url,
            "broker_transport_options": transport_options,
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "beat_schedule_filename": str(instance / "celerybeat-schedule"),
            "timezone": "UTC",
            # Every queue a task is routed to, declared: a plain `celery -A workers worker`
            # (the README's command) consumes them all; production runs one worker per queue
            # with -Q (docs/production.md), and -Q still picks among these.
            "task_default_queue": "celery",
            "task_queues": [
                # As Celery would create each by itself: an exchange of the same name.
                Queue(name, Exchange(name), routing_key=name)
                for name in ("celery", "mail", "calendars", "reports")
            ],
            # Separate queues (docs/production.md): a slow mail server never delays calendars.
            "task_routes": {
                "lanet.mail.*": {"queue": "mail"},
                # Bulk sends write outbox messages: beside the bulletin's, on "mail".
                "lanet.registration.run_import_job": {"queue": "mail"},
                "lanet.registration.import_relay": {"queue": "mail"},
                "lanet.calendars.*": {"queue": "calendars"},
                "lanet.attendance.*": {"queue": "reports"},
                "lanet.reports.*": {"queue": "reports"},
                "lanet.bulletin.compile_draft": {"queue": "reports"},
                "lanet.bulletin.*": {"queue": "mail"},
                "lanet.certificates.*": {"queue": "reports"},
            },
        },
    }
