"""The base of every form: Flask-WTF's, with WTForms' own messages' catalog loaded once.

Flask-WTF reads WTForms' catalog ("This field is required.", "Not a valid choice."…) from
disk again on every request that translates one of them, and a form with a field without a
label does so on every request that builds it (the registration form's hidden invitation
field: ~1.5 % of a registration's CPU, issue 16). The catalogs do not change while a process
runs: each language's is loaded once here and shared (babel's Translations are read-only).
"""

from __future__ import annotations

from typing import Any

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

_CATALOGS: dict[str, support.Translations] = {}


def wtforms_translations() -> Any:
    """WTForms' messages in the request's language (None outside a request: untranslated)."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    locale = str(get_locale())
    catalog = _CATALOGS.get(locale)
    if catalog is None:
        catalog = support.Translations.load(messages_path(), [locale], domain="wtforms")
        _CATALOGS[locale] = catalog
    return catalog


class LanetForm(FlaskForm):
    """FlaskForm with the cached WTForms catalog (WTF_I18N_ENABLED as Flask-WTF reads it)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_translations()
