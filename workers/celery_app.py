"""The worker's and beat's Celery app: the Flask app from `create_app`, with every task.

The Flask docs' pattern, one way round: `lanet.extensions.celery_init_app` binds Celery to
the app (the web process uses it to send tasks by name); here, and only here, the tasks of
every `workers/<feature>.py` are registered and beat's schedule is set.
"""

from __future__ import annotations

from celery import Celery

from lanet import create_app


def beat_schedule() -> dict:
    """Periodic work; exactly one `celery -A workers beat` process must run it."""
    from workers.schedule import collect

    return collect()


def make_worker_app() -> Celery:
    flask_app = create_app()
    celery_app = flask_app.extensions["celery"]
    # Registers every feature's shared_task with this app.
    import workers.tasks  # noqa: F401

    celery_app.conf.beat_schedule = beat_schedule()
    return celery_app
