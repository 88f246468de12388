"""`celery -A workers worker` and `celery -A workers beat` find the Celery app here.

The app is built on first access, so that the web process importing `workers.celery_app`
does not build a second Flask app.
"""

from __future__ import annotations

from typing import Any

_celery_app = None


def __getattr__(name: str) -> Any:
    global _celery_app
    if name in {"app", "celery"}:
        if _celery_app is None:
            from workers.celery_app import make_worker_app

            _celery_app = make_worker_app()
        return _celery_app
    raise AttributeError(name)
