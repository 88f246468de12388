"""The Flask docs' Celery pattern: tasks run inside the Flask app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.beat_schedule = beat_schedule()
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def beat_schedule() -> dict:
    """Periodic work; exactly one `celery -A workers beat` process must run it."""
    from workers.schedule import SCHEDULE

    return dict(SCHEDULE)


def make_worker_app() -> Celery:
    from lanet import create_app

    flask_app = create_app()
    celery_app: Celery = flask_app.extensions["celery"]
    # Importing the task modules registers the shared_task functions with this app.
    import workers.tasks  # noqa: F401

    return celery_app
