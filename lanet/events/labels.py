"""Translated names of event kinds and statuses, shared by pages, emails and calendars."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "lemkin_seminar": _l("Raphael Lemkin Seminar"),
    "focal_points_meeting": _l("Focal Points meeting"),
    "national_seminar": _l("National seminar"),
    "workshop": _l("Workshop"),
    "course": _l("Course"),
    "conference": _l("Conference"),
    "side_event": _l("Side event"),
    "videoconference": _l("Videoconference"),
    "network_meeting": _l("Network meeting"),
    "international_meeting": _l("International meeting"),
}

STATUS_LABELS = {
    "planned": _l("Planned"),
    "open": _l("Registration open"),
    "closed": _l("Registration closed"),
    "held": _l("Carried out"),
    "cancelled": _l("Cancelled"),
}

PARTNER_ROLE_LABELS = {
    "organizer": _l("Organized by"),
    "collaborator": _l("In collaboration with"),
    "supporter": _l("With the support of"),
    "funder": _l("Funded by"),
}
