"""What /healthz reports: the database, the broker, each Celery queue's depth and the last
worker heartbeat."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select, text

from lanet.core.models import StoredFile
from lanet.core.types import utcnow
from lanet.extensions import db

HEARTBEAT_KEY = "health/worker-heartbeat"
# The queues of docs/production.md: a slow mail server must never delay calendar files.
QUEUES = ("celery", "mail", "calendars", "reports")
# kombu's Redis transport keeps a message of priority p > 0 under "<queue>\x06\x16<p>".
_REDIS_PRIORITY_STEPS = (0, 3, 6, 9)
_REDIS_PRIORITY_SEP = "\x06\x16"


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


def queue_names() -> list[str]:
    """The default queue, every queue a task is routed to, and the production queues."""
    conf = current_app.extensions["celery"].conf
    names = [conf.task_default_queue or "celery", *QUEUES]
    routes = conf.task_routes or {}
    if isinstance(routes, dict):
        names += [route["queue"] for route in routes.values() if "queue" in route]
    return list(dict.fromkeys(names))


def _redis_client(url: str):
    import redis

    clients = current_app.extensions.setdefault("lanet_health_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return clients[url]


def _redis_depths(url: str, names: list[str]) -> tuple[dict[str, int], int]:
    client = _redis_client(url)
    pipe = client.pipeline(transaction=False)
    for name in names:
        for step in _REDIS_PRIORITY_STEPS:
            pipe.llen(name if step == 0 else f"{name}{_REDIS_PRIORITY_SEP}{step}")
    # Messages a worker has taken but not yet acknowledged (acks_late): in progress.
    pipe.hlen("unacked")
    counts = pipe.execute()
    steps = len(_REDIS_PRIORITY_STEPS)
    depths = {name: sum(counts[i * steps : (i + 1) * steps]) for i, name in enumerate(names)}
    return depths, counts[-1]


def _filesystem_depths(folder: str, names: list[str]) -> dict[str, int]:
    """The filesystem transport writes one '<stamp>_<uuid>.<queue>.msg' file per message."""
    depths = dict.fromkeys(names, 0)
    path = Path(folder)
    if not path.is_dir():
        return depths
    for entry in os.scandir(path):
        queue = entry.name.partition(".")[2].removesuffix(".msg")
        if queue in depths and entry.name.endswith(".msg"):
            depths[queue] += 1
    return depths


def queue_depths() -> dict:
    """Messages waiting in each queue; `ok` is false when the broker cannot be read."""
    conf = current_app.extensions["celery"].conf
    url = conf.broker_url or ""
    names = queue_names()
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            depths, unacked = _redis_depths(url, names)
            return {"ok": True, "queues": depths, "unacked": unacked}
        if url.startswith("filesystem://"):
            folder = (conf.broker_transport_options or {}).get("data_folder_in", "")
            return {"ok": True, "queues": _filesystem_depths(folder, names)}
    except Exception as exc:  # broker unreachable: depth unknown, not zero
        return {"ok": False, "queues": dict.fromkeys(names), "detail": type(exc).__name__}
    return {"ok": False, "queues": dict.fromkeys(names), "detail": "unsupported broker"}


def report() -> dict:
    db_ok, db_detail = check_database()
    broker_ok, broker_detail = check_broker()
    heartbeat = last_worker_heartbeat() if db_ok else None
    return {
        "status": "ok" if db_ok and broker_ok else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        # Broker down: each depth is unknown (null), not 0.
        "queues": queue_depths()
        if broker_ok
        else {"ok": False, "queues": dict.fromkeys(queue_names())},
        "worker_heartbeat": heartbeat.isoformat() if heartbeat else None,
    }


def heartbeat_age_seconds() -> float | None:
    beat = last_worker_heartbeat()
    return None if beat is None else (utcnow() - beat).total_seconds()
