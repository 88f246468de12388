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
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    # Registers every feature's shared_task with this app (and thus every process's app).
    import workers.tasks  # noqa: F401

    celery_app.conf.beat_schedule = beat_schedule()
    return celery_app


def beat_schedule() -> dict:
    """Periodic work; exactly one `celery -A workers beat` process must run it."""
    from workers.schedule import collect

    return collect()


def make_worker_app() -> Celery:
    from lanet import create_app

    flask_app = create_app()
    return flask_app.extensions["celery"]
