"""The JSON API v1: its OpenAPI document at /api/v1/openapi.json and a local documentation page.

`bp` (auto-registered by create_app) carries the documentation page; registering it sets up the
flask-smorest Api and registers every resource blueprint with it.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory, url_for
from flask.blueprints import BlueprintSetupState
from swagger_ui_bundle import swagger_ui_path

from lanet.api import models  # noqa: F401  (the idempotency table joins the metadata)
from lanet.api.auth import SECURITY_SCHEME
from lanet.api.core import PREFIX, LanetApi, configure

bp = Blueprint("api", __name__, url_prefix=PREFIX)

# Only what the page loads is served from the vendored Swagger UI folder.
_SWAGGER_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}


def _resource_blueprints() -> list:
    from lanet.api import (
        account,
        attendance,
        bulletin,
        certificates,
        events,
        manage_events,
        registrations,
    )

    return [
        events.blp,
        manage_events.blp,
        registrations.blp,
        attendance.blp,
        certificates.blp,
        account.blp,
        bulletin.blp,
    ]


@bp.record_once
def _init_api(state: BlueprintSetupState) -> None:
    app = state.app
    configure(app)
    api = LanetApi()
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for blueprint in _resource_blueprints():
        api.register_blueprint(blueprint)
    _document_common_responses(api)
    app.extensions["lanet_api"] = api
    # The staff page for issuing and revoking tokens (HTML, under /staff).
    from lanet.api.token_pages import bp as token_pages

    app.register_blueprint(token_pages)


def _document_common_responses(api: LanetApi) -> None:
    """Answers any operation may give: a refused token (401) and the rate limit (429)."""
    unauthorized = api.spec.components.get_ref("response", "UNAUTHORIZED")
    too_many = api.spec.components.get_ref("response", "TOO_MANY_REQUESTS")
    for operations in api.spec._paths.values():
        for method, operation in operations.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", unauthorized)
            responses.setdefault("429", too_many)


@bp.get("/docs")
def docs():
    return render_template(
        "api/docs.html",
        spec_url=url_for("api-docs.openapi_json"),
    )


@bp.get("/docs/swagger-ui/<path:filename>")
def swagger_asset(filename: str):
    if filename not in _SWAGGER_FILES:
        abort(404)
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
