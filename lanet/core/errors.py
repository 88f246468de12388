"""Error pages: a clear page (or JSON under /api) and never a stack trace."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, PendingRollbackError
from werkzeug.exceptions import HTTPException

from lanet.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, title: str, message: str):
    if _wants_json():
        body = {"type": "about:blank", "title": title, "status": status, "detail": message}
        response = jsonify(body)
        response.status_code = status
        response.mimetype = "application/problem+json"
        return response
    return render_template("errors/error.html", title=title, message=message), status


def handle_http_error(error: HTTPException):
    titles = {
        400: _("Bad request"),
        404: _("Page not found"),
        413: _("Too large"),
        403: _("Not allowed"),
        405: _("Method not allowed"),
        429: _("Too many requests"),
    }
    title = titles.get(error.code or 500, error.name)
    messages = {
        400: _("The request contains values that cannot be used. Please check what you sent."),
        404: _("There is nothing at this address. It may have moved."),
        413: _(
            "What was sent is larger than %(size)s MB. Split the file into smaller ones.",
            size=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
        ),
        403: _("You do not have permission to see this page."),
        429: _("Too many requests in a short time. Please wait a moment and try again."),
    }
    response = _render(error.code or 500, title, messages.get(error.code or 500, error.name))
    if isinstance(response, tuple):
        # Keep headers the error carries, such as Retry-After on 429.
        body, status = response
        return body, status, dict(error.get_response().headers.items())
    return response


def _render_without_database(status: int, title: str, message: str):
    """The page for a database outage, rendered without a query: the signed-in user is not
    loaded (the menu shows the anonymous one), and if the page still needs the database, a
    bare page says the same."""
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None:
        g._login_user = login_manager.anonymous_user()
    try:
        return _render(status, title, message)
    except DBAPIError:
        with contextlib.suppress(DBAPIError):
            db.session.rollback()
        body = (
            f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>"
        )
        return body, status


def handle_database_unavailable(error: Exception):
    with contextlib.suppress(DBAPIError):
        db.session.rollback()
    response = _render_without_database(
        503,
        _("Temporarily unavailable"),
        _(
            "The service cannot reach its database right now. Nothing was saved; please try again in a minute."
        ),
    )
    if isinstance(response, tuple):
        body, status = response
        return body, status, {"Retry-After": "30"}
    response.headers["Retry-After"] = "30"
    return response


def handle_invalid_value(error: DataError):
    """The database refused a value (out of range, not encodable): the client's input, not an
    outage. Logged, since a boundary check should have caught it first."""
    with contextlib.suppress(DBAPIError):
        db.session.rollback()
    current_app.logger.warning(
        "database refused a value from %s %s: %s", request.method, request.path, error.orig
    )
    return _render(
        400,
        _("Bad request"),
        _("The request contains values that cannot be used. Please check what you sent."),
    )


def handle_unexpected(error: Exception):
    # The line carries the request id (lanet.core.logging), as the response header does: the
    # person who saw the page can quote it, and the log has the traceback.
    current_app.logger.error(
        "unexpected error in %s %s (request id %s)",
        request.method,
        request.path,
        g.get("request_id"),
        exc_info=error,
    )
    with contextlib.suppress(DBAPIError):
        db.session.rollback()
    return _render(
        500, _("Something went wrong"), _("The error has been logged. Please try again.")
    )


def release_session(_error: BaseException | None = None) -> None:
    """Ends the request's session even when the database dropped its connection meanwhile.

    After a PostgreSQL restart, the rollback at the end of a request that had already
    answered fails on the dead connection; Flask-SQLAlchemy's own teardown would turn that
    finished response into a 500. The dead connection is invalidated instead, and the pool
    opens a new one for the next request.
    """
    try:
        db.session.remove()
    except DBAPIError:
        with contextlib.suppress(DBAPIError):
            db.session().invalidate()
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(DBAPIError, handle_database_unavailable)
    app.register_error_handler(DataError, handle_invalid_value)
    # A session left unusable by a dropped connection is the same outage, not a bug.
    app.register_error_handler(PendingRollbackError, handle_database_unavailable)
    # Registered after Flask-SQLAlchemy's teardown, so it runs before it (teardowns run last
    # registered first) and leaves it an empty session.
    app.teardown_appcontext(release_session)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
