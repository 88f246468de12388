"""`celery -A workers worker` and `celery -A workers beat` find the Celery app here."""

from workers.celery_app import make_worker_app

app = make_worker_app()
celery = app
