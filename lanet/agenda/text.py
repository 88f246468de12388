"""gettext for services, which also run in workers and the CLI where there is no request.

The app's locale selector reads the request; outside one, messages are rendered in the
language forced with `force_locale`, or else left in English.
"""

from __future__ import annotations

from flask import g, has_app_context, has_request_context
from flask_babel import gettext


def _(message: str, **variables: object) -> str:
    forced = has_app_context() and getattr(getattr(g, "_flask_babel", None), "babel_locale", None)
    if has_request_context() or forced:
        return gettext(message, **variables)
    return message % variables if variables else message
