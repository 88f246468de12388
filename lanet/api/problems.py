"""Errors as RFC 9457 problem details, in one shape for every API response that is not a success.

{"type": "https://lanet.example/problems/validation", "title": "...", "status": 422,
 "detail": "...", "instance": "/api/v1/...",
 "invalid_params": [{"name": "email", "in": "json", "reason": "Not a valid email address."}]}
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Response, current_app, json, request
from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    import flask_smorest

PROBLEM_MIMETYPE = "application/problem+json"
PROBLEM_BASE = "https://lanet.example/problems/"

# The problem type of each status the API answers with; `about:blank` means "the status says it".
PROBLEM_TYPES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    415: "unsupported-media-type",
    422: "validation",
    429: "rate-limited",
}


class InvalidParamSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "The field at fault"})
    in_ = ma.fields.String(
        data_key="in",
        metadata={"description": "Where the field was sent: json, query, path, header"},
    )
    reason = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True, metadata={"description": "A URI naming the problem"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    instance = ma.fields.String()
    invalid_params = ma.fields.List(ma.fields.Nested(InvalidParamSchema))


class ApiProblem(HTTPException):
    """A problem a view raises on purpose: a status, a sentence, and the fields at fault."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        invalid_params: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        problem_type: str | None = None,
    ) -> None:
        super().__init__(description=detail)
        self.code = status
        self.detail = detail
        self.invalid_params = invalid_params or []
        self.extra_headers = headers or {}
        self.problem_type = problem_type


def problem_responses(blp: flask_smorest.Blueprint, *statuses: int) -> Callable:
    """Documents the problem responses an operation may give, in the order given:
    `@problem_responses(blp, 403, 404, 422)` stands for the stack of
    `@blp.alt_response(403, response="FORBIDDEN")` … (each status's component response,
    registered for every status by `LanetApi._register_responses`)."""

    def decorator(view: Callable) -> Callable:
        # Applied from the last status up, as the stack of decorators it stands for.
        for status in reversed(statuses):
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorator


def field_error(name: str, reason: str, status: int = 422, location: str = "json") -> ApiProblem:
    return ApiProblem(
        status, reason, invalid_params=[{"name": name, "in": location, "reason": reason}]
    )


def _flatten(messages: Any, location: str, prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {"json": {"field": ["msg"]}} as a flat list of fields at fault."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found.extend(_flatten(value, location, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            found.append({"name": prefix or "_schema", "in": location, "reason": message})
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            found.extend(_flatten(value, location, f"{prefix}[{index}]"))
    else:
        found.append({"name": prefix or "_schema", "in": location, "reason": str(messages)})
    return found


def invalid_params_of(error: HTTPException) -> list[dict[str, str]]:
    if isinstance(error, ApiProblem):
        return error.invalid_params
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if not isinstance(messages, dict):
        return []
    found: list[dict[str, str]] = []
    for location, fields in messages.items():
        found.extend(_flatten(fields, str(location)))
    return found


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    invalid_params: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    problem_type: str | None = None,
) -> Response:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    kind = problem_type or PROBLEM_TYPES.get(status)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind if kind else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if invalid_params:
        body["invalid_params"] = invalid_params
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    invalid = invalid_params_of(error)
    if status == 422 and invalid:
        detail = "The request has fields that are missing or not valid."
    elif isinstance(error, ApiProblem):
        detail = error.detail
    else:
        detail = error.description or ""
    headers: dict[str, str] = {}
    if isinstance(error, ApiProblem):
        headers.update(error.extra_headers)
    data = getattr(error, "data", None) or {}
    headers.update(data.get("headers") or {})
    # Keep what the exception itself answers with: Allow on 405, Retry-After on 429.
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        value = error.get_response().headers.get(name)
        if value and name not in headers:
            headers[name] = value
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = str(_retry_after_seconds(error))
    return problem_response(
        status,
        detail,
        invalid_params=invalid,
        headers=headers,
        problem_type=getattr(error, "problem_type", None),
    )


def _retry_after_seconds(error: HTTPException) -> int:
    """Seconds until the window of the limit that was exceeded resets (Flask-Limiter)."""
    limit = getattr(error, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry()))
    except (AttributeError, TypeError, ValueError):
        return 60
