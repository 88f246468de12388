"""What /healthz reports: the database, the broker and the last worker heartbeat."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select, text

from lanet.core.models import StoredFile
from lanet.core.types import utcnow
from lanet.extensions import db

HEARTBEAT_KEY = "health/worker-heartbeat"


def record_worker_heartbeat() -> datetime:
    now = utcnow()
    content = now.isoformat().encode()
    row = db.session.scalar(select(StoredFile).where(StoredFile.key == HEARTBEAT_KEY))
    if row is None:
        row = StoredFile(key=HEARTBEAT_KEY, content_type="text/plain", content=b"", etag="")
        db.session.add(row)
    row.content = content
    row.etag = hashlib.sha256(content).hexdigest()[:32]
    row.updated_at = now
    db.session.commit()
    return now


def last_worker_heartbeat() -> datetime | None:
    row = db.session.scalar(select(StoredFile).where(StoredFile.key == HEARTBEAT_KEY))
    return row.updated_at if row else None


def check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        return True, db.engine.dialect.name
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        return False, type(exc).__name__


def check_broker() -> tuple[bool, str]:
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            return True, connection.transport.driver_type
    except Exception as exc:  # broker unreachable
        return False, type(exc).__name__


def report() -> dict:
    db_ok, db_detail = check_database()
    broker_ok, broker_detail = check_broker()
    heartbeat = last_worker_heartbeat() if db_ok else None
    return {
        "status": "ok" if db_ok and broker_ok else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "worker_heartbeat": heartbeat.isoformat() if heartbeat else None,
    }
