"""Translated names of contact kinds and statuses, for pages and the API's documentation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "authority": _l("High national authority"),
    "focal_point": _l("Focal point"),
    "partner": _l("Partner organization"),
    "subscriber": _l("Subscriber"),
}

STATUS_LABELS = {
    "pending": _l("Awaiting confirmation"),
    "active": _l("Subscribed"),
    "unsubscribed": _l("Unsubscribed"),
}

BULLETIN_STATUS_LABELS = {
    "compiling": _l("Being drafted"),
    "draft": _l("Draft"),
    "published": _l("Sent"),
}

LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English"}
