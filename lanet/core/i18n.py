"""Language choice: an explicit choice (kept in the session), then the browser's, then Spanish.

Outside a request (workers, CLI) the default applies unless the caller uses `force_locale`,
as emails do with the recipient's language.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, gettext, refresh

from lanet.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    override = getattr(g, "language_override", None)
    if not has_request_context():
        return override if override in languages else default
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if override in languages:
        return override
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or default


def service_text(message: str, **variables: object) -> str:
    """gettext for services, which also run in workers and the CLI where there is no request.

    The app's locale selector reads the request; outside one, messages are rendered in the
    language forced with `force_locale`, or else left in English. Import it as `_` so that
    the catalog extraction finds the messages.
    """
    forced = has_app_context() and getattr(getattr(g, "_flask_babel", None), "babel_locale", None)
    if has_request_context() or forced:
        return gettext(message, **variables)
    return message % variables if variables else message


def current_language() -> str:
    return str(get_locale() or "es")[:2]


def _forget_request_locale(_exception: BaseException | None) -> None:
    # The chosen language belongs to one request, even when an app context outlives it.
    refresh()


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    app.jinja_env.globals["current_language"] = current_language
    app.teardown_request(_forget_request_locale)
