"""The page layout's header and footer, rendered once per key and reused (issue 16).

Every page's header (brand, navigation, sign-in links, language switch) and footer took more
CPU than the whole `/bench/ping` request: a dozen `url_for`, as many translations, the
permission checks of the navigation, an include. What they show depends only on the language,
the address prefix (`url_for`'s script root) and, for a signed-in visitor, what their roles
allow (features add that part of the key with `layout_key`). So `layout_part(name)` renders
`templates/<name>` once per such key and keeps the text; what differs per request is filled
in on each page:

- the language switch's links (`url_with_language`: this page's address in another language);
- the sign-out form's CSRF token (`csrf_token`).

Both are rendered as markers in the kept text and replaced, escaped as the template would
have escaped them. `LAYOUT_CACHE = False` renders the parts on every page instead (the
test comparing both: tests/test_layout.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from lanet.core.web import url_with_language

# Keys: 2 parts x 3 languages x the role sets signed in (an organizer's set names their
# events); a part is ~2 KB, so even full this stays a few MB, and it starts over when full.
MAX_ENTRIES = 1024

_CSRF_MARKER = "lanet-layout-csrf-token"
_LANGUAGE_MARKER = "lanet-layout-language-{}-address"


class _Layout:
    """One app's kept parts and what their key is made of."""

    def __init__(self) -> None:
        # What features add to the key: e.g. accounts, the signed-in user's roles (the
        # navigation shows links by permission). Each returns something hashable, the same
        # for two visitors whose header is the same.
        self.key_parts: list[Callable[[], Hashable]] = []
        self.parts: dict[tuple, str] = {}


def _layout(app: Flask) -> _Layout:
    found = app.extensions.get("lanet_layout")
    if found is None:
        found = app.extensions["lanet_layout"] = _Layout()
    return found


def layout_key(app: Flask, part: Callable[[], Hashable]) -> None:
    """Adds `part()` to the key `app`'s layout parts are kept under."""
    _layout(app).key_parts.append(part)


def _marked_language_address(code: str) -> str:
    return _LANGUAGE_MARKER.format(code)


def _marked_csrf_token() -> str:
    return _CSRF_MARKER


def _render_marked(name: str) -> str:
    # Passed as context, these names hide the globals of the same name in the part (and in
    # what it includes).
    return render_template(
        name, url_with_language=_marked_language_address, csrf_token=_marked_csrf_token
    )


def _fill(text: str) -> str:
    if _CSRF_MARKER in text:
        text = text.replace(_CSRF_MARKER, str(escape(generate_csrf())))
    for code in current_app.config["LANGUAGES"]:
        marker = _LANGUAGE_MARKER.format(code)
        if marker in text:
            text = text.replace(marker, str(escape(url_with_language(code))))
    return text


def layout_part(name: str) -> Markup:
    """`templates/<name>` as this page shows it (see the module's docstring)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("LAYOUT_CACHE", True):
        return Markup(render_template(name))
    layout = _layout(app)
    key = (name, str(get_locale()), request.script_root, *(part() for part in layout.key_parts))
    text = layout.parts.get(key)
    if text is None:
        text = _render_marked(name)
        if len(layout.parts) >= MAX_ENTRIES:
            layout.parts.clear()
        layout.parts[key] = text
    return Markup(_fill(text))


def init_app(app: Flask) -> None:
    _layout(app)
    app.jinja_env.globals["layout_part"] = layout_part
