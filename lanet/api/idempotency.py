"""`Idempotency-Key` on POST: a client that retries after a timeout gets the first answer again
instead of causing a second registration, invitation or check-in.

The key is reserved (committed) before the view runs, so a concurrent retry finds it and gets
409 instead of running the view a second time; the response is stored once the view is done.
A key reused with a different request is refused with 422.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from lanet.api.auth import current_api_token, current_api_user
from lanet.api.models import IdempotencyKey
from lanet.api.problems import ApiProblem, field_error, handle_http_exception
from lanet.core.types import utcnow
from lanet.extensions import db

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# Keys are kept this long; a retry after that is a new request.
RETENTION = timedelta(hours=24)
# Problems the view itself decided are part of its answer; others (auth, rate limit) are not.
_STORED_PROBLEMS = {404, 409, 422}
_REPLAYED_HEADERS = ("Location", "Content-Type")

PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A unique value per intended operation (a UUID). A retry with the same "
    "key and body returns the first response; the same key with another body gets 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _scope() -> str:
    token = current_api_token()
    return f"token:{token.id}" if token is not None else "anonymous"


def request_fingerprint() -> str:
    """The hash of what the request asks for; JSON bodies are compared by content, not bytes."""
    raw = request.get_data(cache=True)
    try:
        body: Any = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError):
        body = raw.decode("latin-1")
    text = "\n".join([request.method, request.path, request.query_string.decode("latin-1"), body])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _valid_key(raw: str) -> str:
    key = raw.strip()
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise field_error(HEADER, "Use 1 to 255 printable ASCII characters.", 400, "header")
    return key


def _find(scope: str, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )


def _answer_existing(record: IdempotencyKey, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise ApiProblem(
            422,
            "This Idempotency-Key was already used with a different request.",
            invalid_params=[{"name": HEADER, "in": "header", "reason": "key reused"}],
            problem_type="idempotency-key-reused",
        )
    if record.response_status is None:
        raise ApiProblem(
            409,
            "A request with this Idempotency-Key is still being handled; retry shortly.",
            headers={"Retry-After": "1"},
            problem_type="idempotency-key-in-use",
        )
    headers = dict(record.response_headers or {})
    response = current_app.response_class(
        json.dumps(record.response_body), status=record.response_status
    )
    for name, value in headers.items():
        response.headers[name] = value
    response.headers[REPLAY_HEADER] = "true"
    return response


def _reserve(scope: str, key: str, fingerprint: str) -> IdempotencyKey | Response:
    existing = _find(scope, key)
    if existing is not None:
        if existing.created_at >= utcnow() - RETENTION:
            return _answer_existing(existing, fingerprint)
        db.session.delete(existing)
        db.session.flush()
    user = current_api_user()
    record = IdempotencyKey(
        scope=scope,
        key=key,
        user_id=user.id if user else None,
        method=request.method,
        path=request.path[:500],
        request_hash=fingerprint,
    )
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        # Another process reserved the same key between our look-up and our insert.
        db.session.rollback()
        existing = _find(scope, key)
        if existing is None:
            raise
        return _answer_existing(existing, fingerprint)
    return record


def _release(record_id: int) -> None:
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
    db.session.commit()


def _store(record_id: int, response: Response) -> None:
    record = db.session.get(IdempotencyKey, record_id)
    if record is None:
        return
    record.response_status = response.status_code
    record.response_body = response.get_json(silent=True)
    record.response_headers = {
        name: response.headers[name] for name in _REPLAYED_HEADERS if name in response.headers
    }
    record.completed_at = utcnow()
    db.session.commit()


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Put above the smorest `arguments`/`response` decorators of a POST view."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(*args, **kwargs)
        scope, key, fingerprint = _scope(), _valid_key(raw), request_fingerprint()
        reserved = _reserve(scope, key, fingerprint)
        if isinstance(reserved, Response):
            return reserved
        record_id = reserved.id
        try:
            response = make_response(view(*args, **kwargs))
        except ApiProblem as problem:
            if (problem.code or 500) not in _STORED_PROBLEMS:
                _release(record_id)
                raise
            db.session.rollback()
            response = handle_http_exception(problem)
        except HTTPException:
            # Malformed requests, missing permissions: the view did not run, nothing to keep.
            _release(record_id)
            raise
        except Exception:
            _release(record_id)
            raise
        if response.status_code >= 500:
            _release(record_id)
            return response
        _store(record_id, response)
        return response

    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual["parameters"] = [*manual.get("parameters", []), PARAMETER]
    wrapped._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapped


def purge_expired() -> int:
    """Forgets keys older than the retention period; run daily by the beat schedule."""
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - RETENTION)
    )
    db.session.commit()
    return result.rowcount or 0
