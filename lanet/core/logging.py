"""Structured logs: one JSON object per line, each carrying the request id it belongs to.

A web request takes its id from the X-Request-ID header (when it looks like an id) or gets
a new one, and returns it in the response. Tasks queued during the request carry the id in
a message header, so a worker's lines can be joined to the request that caused them.
Celery's own logging set-up is skipped: workers and beat log through the same JSON handler.

`LOG_FORMAT=text` gives plain lines for a terminal; `LOG_LEVEL` sets the level (INFO).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

from lanet import config

REQUEST_ID_HEADER = "X-Request-ID"
# The Celery message header that carries the web request's id to the worker.
TASK_HEADER = "lanet_request_id"
# An id from outside is only honoured when it cannot smuggle anything into a log line.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("lanet_request_id", default=None)
task_var: ContextVar[tuple[str, str] | None] = ContextVar("lanet_task", default=None)

_HANDLER_MARK = "_lanet_handler"
access_logger = logging.getLogger("lanet.access")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def incoming_request_id(value: str | None) -> str:
    """The client's or proxy's id when it is a plain token, else a new one."""
    if value and _VALID_ID.match(value):
        return value
    return new_request_id()


class ContextFilter(logging.Filter):
    """Adds the request id (and the task, inside a worker) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        task = task_var.get()
        if task is not None and not hasattr(record, "task_id"):
            record.task_id, record.task_name = task
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(process)d",
        rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
        timestamp="time",
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(log_format: str | None = None, level: str | None = None) -> logging.Handler:
    """One handler on the root logger, to stderr; calling it again replaces the first."""
    default_format, default_level = config.log_settings()
    log_format = (log_format or default_format).lower()
    level = (level or default_level).upper()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(ContextFilter())
    handler.setFormatter(text_formatter() if log_format == "text" else json_formatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def _start_request() -> None:
    g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    g.request_id_token = request_id_var.set(g.request_id)


def loggable_path() -> str:
    """The request's path with every private token in it replaced: a private link
    (`/r/<token>`, `/password/reset/<token>`, `/invitations/<token>` …) opens someone's data
    and must not sit in log files. Every such route names its part `token`."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "[token]")
    return path


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    duration = time.perf_counter() - g.get("request_started", time.perf_counter())
    path = loggable_path()
    access_logger.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 2),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _end_request(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def _connect_celery_signals() -> None:
    from celery import signals

    signals.setup_logging.connect(_celery_setup_logging, weak=False, dispatch_uid="lanet-log")
    signals.before_task_publish.connect(
        _add_request_id_header, weak=False, dispatch_uid="lanet-log-publish"
    )
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="lanet-log-prerun")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="lanet-log-postrun")


def _celery_setup_logging(**_kwargs: Any) -> None:
    # Connected, this signal tells Celery to leave logging alone: our handler stays.
    configure()


def _add_request_id_header(headers: dict | None = None, **_kwargs: Any) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def _task_started(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    request_id = None
    if task is not None:
        request_id = getattr(task.request, TASK_HEADER, None)
        headers = getattr(task.request, "headers", None) or {}
        request_id = request_id or headers.get(TASK_HEADER)
    request_id_var.set(request_id or task_id)
    task_var.set((task_id or "", getattr(task, "name", "")))


def _task_finished(**_kwargs: Any) -> None:
    request_id_var.set(None)
    task_var.set(None)


def init_app(app: Flask) -> None:
    from flask.logging import default_handler

    configure(app.config.get("LOG_FORMAT"), app.config.get("LOG_LEVEL"))
    # Our root handler prints the app's lines; Flask's own would print them twice.
    app.logger.removeHandler(default_handler)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    _connect_celery_signals()
