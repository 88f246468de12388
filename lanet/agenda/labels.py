"""Translated names of agenda item kinds, shared by pages and calendars."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ITEM_KIND_LABELS = {
    "session": _l("Session"),
    "module": _l("Module"),
    "break": _l("Break"),
    "visit": _l("Visit"),
    "ceremony": _l("Ceremony"),
}
