"""Language choice: an explicit choice (kept in the session), then the browser's, then Spanish.

Outside a request (workers, CLI) the default applies unless the caller uses `force_locale`,
as emails do with the recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations, gettext, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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


# Label tables resolved per (table, locale): a page showed a lazy label per row, and each one
# went through Flask-Babel's context lookups again. The catalogs do not change while a
# process runs, so one resolution per process and language serves every page.
_RESOLVED: dict[tuple[int, str], dict[Any, str]] = {}


def labels_in_language(labels: Mapping[Any, Any]) -> dict[Any, str]:
    """`labels` (a module-level table of lazy strings) as plain strings of the current
    language, resolved once per process and language."""
    key = (id(labels), str(get_locale() or ""))
    found = _RESOLVED.get(key)
    if found is None:
        found = {name: str(label) for name, label in labels.items()}
        _RESOLVED[key] = found
    return found


_BUILT: dict[tuple[Callable[[], Any], str], Any] = {}


def built_in_language(build: Callable[[], Any]) -> Any:
    """What `build()` returns (translated text only, nothing per request), built once per
    process and language."""
    key = (build, str(get_locale() or ""))
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


# Templates' `_()` and `gettext()`: Flask-Babel's Jinja callable looks the translations up
# again (context, domain, locale) on every call, ~30 calls a page. Here a render looks them
# up once (a context processor), and its `_()` calls use that catalog. Same behaviour as
# Jinja's "newstyle" gettext: escaped under autoescape, always formatted with `%`.
_TEMPLATE_GETTEXT: dict[int, tuple[object, Callable[..., str]]] = {}


def _template_gettext_for(translations: Any) -> Callable[..., str]:
    found = _TEMPLATE_GETTEXT.get(id(translations))
    if found is not None and found[0] is translations:
        return found[1]
    lookup = translations.ugettext

    @pass_context
    def template_gettext(context: Context, string: str, **variables: Any) -> str:
        text = lookup(string)
        if not variables and "%" not in text:
            # `text % {}` is `text` itself then; Markup's `%` wraps and escapes for nothing.
            return Markup(text) if context.eval_ctx.autoescape else text
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    # The translations object stays referenced here, so its id is not reused.
    _TEMPLATE_GETTEXT[id(translations)] = (translations, template_gettext)
    return template_gettext


def _template_translations() -> dict[str, Any]:
    return {"gettext": _template_gettext_for(get_translations())}


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
    app.context_processor(_template_translations)
    app.teardown_request(_forget_request_locale)
