"""The flask-smorest Api of LANET: problem details instead of smorest's error shape, bearer
security in the document, and every resource blueprint guarded the same way."""

from __future__ import annotations

import http

import flask_smorest
from flask import Flask, current_app, g
from flask_limiter.util import get_remote_address
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from lanet.api.auth import authenticate_request
from lanet.api.lookups import event_access_problem
from lanet.api.problems import PROBLEM_MIMETYPE, ProblemSchema, handle_http_exception
from lanet.events.access import EventAccessError
from lanet.extensions import csrf, limiter

PREFIX = "/api/v1"
API_VERSION = "1.0.0"


class LanetApi(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        # smorest would take over every HTTP error of the app, pages included; the API's own
        # blueprints register the problem handler instead (see resource_blueprint).
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def rate_limit_key() -> str:
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-ip:{get_remote_address()}"


def api_rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300/minute")


def resource_blueprint(name: str, description: str) -> flask_smorest.Blueprint:
    """A blueprint of API operations: bearer authentication, problem details, rate limit."""
    blp = flask_smorest.Blueprint(name, __name__, url_prefix=PREFIX, description=description)
    blp.before_request(authenticate_request)
    blp.register_error_handler(HTTPException, handle_http_exception)
    blp.register_error_handler(EventAccessError, event_access_problem)
    csrf.exempt(blp)
    limiter.limit(api_rate_limit, key_func=rate_limit_key)(blp)
    return blp


def configure(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "LANET API")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Events, agendas, registrations, invitations, check-in and "
                "attendance totals of the Latin American Network for Genocide and Mass "
                "Atrocity Prevention. Errors are RFC 9457 problem details.",
            },
            "servers": [{"url": "/"}],
        },
    )
