"""LANET: the event and seminar service of the Latin American Network."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lanet import config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(config.instance_path()),
        template_folder=str(config.ROOT / "templates"),
    )
    app.config.update(config.load())
    if overrides:
        app.config.update(overrides)
    _init_extensions(app)
    _declare_personal_data()
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from lanet import models  # noqa: F401  (every table registered before migrations run)
    from lanet.accounts import login
    from lanet.core import connections, i18n, logging, pagecache, web
    from lanet.extensions import celery_init_app, csrf, db, limiter, mail, migrate

    logging.init_app(app)  # first: every later line is structured and has a request id
    connections.configure(app)
    db.init_app(app)
    with app.app_context():
        connections.install(app, db.engine)
    migrate.init_app(app, db, directory=str(config.ROOT / "migrations"), render_as_batch=True)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    celery_init_app(app)
    pagecache.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)


def _tune_sqlite(app: Flask) -> None:
    """WAL and a busy timeout let web, worker and beat share one SQLite file."""
    from sqlalchemy import event

    from lanet.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if ":memory:" not in str(engine.url) and str(engine.url) != "sqlite://":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _declare_personal_data() -> None:
    """Each feature that stores something about a person declares it in its `privacy.py`
    (DESIGN rule 12); `lanet.privacy` exports and erases a person through those declarations,
    and tests/test_privacy_coverage.py fails while a personal column is left undeclared."""
    import lanet.accounts.privacy
    import lanet.agenda.privacy
    import lanet.api.privacy
    import lanet.attendance.privacy
    import lanet.bulletin.privacy
    import lanet.calendars.privacy
    import lanet.certificates.privacy
    import lanet.core.privacy
    import lanet.events.privacy
    import lanet.mail.privacy
    import lanet.network.privacy
    import lanet.registration.privacy  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    """Every feature's pages, and the hooks by which features react to one another's signals
    (lanet/core/signals.py), in one place: this is the app's wiring."""
    # Importing a feature's hooks connects its receivers to the signals it follows.
    import lanet.agenda.hooks
    import lanet.attendance.hooks
    import lanet.calendars.hooks
    import lanet.certificates.hooks
    import lanet.events.hooks

    # The event workspace's pages join the events blueprint (one "events." namespace).
    import lanet.events.manage  # noqa: F401
    import lanet.registration.hooks  # noqa: F401
    from lanet.accounts import views as accounts
    from lanet.agenda import views as agenda
    from lanet.api import views as api
    from lanet.attendance import views as attendance
    from lanet.bulletin import views as bulletin
    from lanet.calendars import views as calendars
    from lanet.certificates import views as certificates
    from lanet.core import views as core
    from lanet.events import views as events
    from lanet.mail import views as mail
    from lanet.privacy import views as privacy
    from lanet.registration import views as registration

    features = (core, events, agenda, registration, attendance, calendars, mail, accounts)
    for feature in (*features, privacy, bulletin, certificates, api):
        app.register_blueprint(feature.bp)
    # Registered always, answering 404 unless DEV_PAGES is on at request time.
    from lanet.mail.dev_views import bp as dev_mail_bp

    app.register_blueprint(dev_mail_bp)


def _register_cli(app: Flask) -> None:
    import lanet.api.cli  # noqa: F401  (adds `users issue-token` to the accounts' group)
    from lanet.accounts.cli import users_cli
    from lanet.privacy.cli import privacy_cli
    from lanet.registration.cli import tokens_cli
    from lanet.seed import seed_cli

    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(tokens_cli)
