"""Language choice: an explicit choice (kept in the session), then the browser's, then Spanish."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale

from lanet.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    override = getattr(g, "language_override", None)
    if override in languages:
        return override
    if session.get("lang") in languages:
        return session["lang"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_language() -> str:
    return str(get_locale() or "es")[:2]


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    app.jinja_env.globals["current_language"] = current_language
