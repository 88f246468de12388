"""The Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints keep Alembic revisions reviewable and SQLite batch moves possible.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class AppLimiter(Limiter):
    """Flask-Limiter keeps `enabled` on the one shared object, so the last app initialised
    would decide for every app in the process. Here each app's RATELIMIT_ENABLED decides for
    its own requests (tests build several apps; a process in production has one)."""

    def init_app(self, app: Flask) -> None:
        wanted = app.config.get("RATELIMIT_ENABLED", True)
        # Always install the hooks, so an app that enables limits later still has them.
        app.config["RATELIMIT_ENABLED"] = True
        try:
            super().init_app(app)
        finally:
            app.config["RATELIMIT_ENABLED"] = wanted

    @property
    def enabled(self) -> bool:
        if has_app_context():
            return bool(current_app.config.get("RATELIMIT_ENABLED", True))
        return True

    @enabled.setter
    def enabled(self, _value: bool) -> None:
        # Set by Limiter.__init__ and init_app; the app's own config is read instead.
        pass


limiter = AppLimiter(key_func=get_remote_address)


def celery_init_app(app: Flask) -> Celery:
    """The Flask docs' Celery pattern: tasks run inside the Flask app context.

    The web process only sends tasks by name; `workers/` (`celery -A workers`) builds the
    app with `create_app`, then registers every task and the beat schedule.
    """

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
