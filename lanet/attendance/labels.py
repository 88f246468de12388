"""Translated names of what the totals are counted by."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lanet.events.labels import KIND_LABELS

INSTITUTION_KIND_LABELS = {
    "ministry_foreign_affairs": _l("Ministry of Foreign Affairs"),
    "ministry_defense": _l("Ministry of Defense"),
    "ministry_justice": _l("Ministry of Justice"),
    "ombudsman": _l("Ombudsman's Office"),
    "security_forces": _l("Security forces"),
    "other_government": _l("Other government body"),
    "civil_society": _l("Civil society"),
    "academia": _l("Academia"),
    "international_organization": _l("International organization"),
    "": _l("Not given"),
}

GENDER_LABELS = {
    "female": _l("Women"),
    "male": _l("Men"),
    "other": _l("Other"),
    "": _l("Not given"),
}

ROLE_LABELS = {
    "participant": _l("Participants"),
    "instructor": _l("Instructors"),
    "speaker": _l("Speakers"),
    "organizer": _l("Organizers"),
    "observer": _l("Observers"),
}

DIMENSION_LABELS = {
    "kind": _l("By kind of event"),
    "institution_kind": _l("By kind of institution"),
    "gender": _l("By gender"),
    "role": _l("By role"),
}

LABELS = {
    "kind": KIND_LABELS,
    "institution_kind": INSTITUTION_KIND_LABELS,
    "gender": GENDER_LABELS,
    "role": ROLE_LABELS,
}


def label(dimension: str, key: str) -> str:
    return str(LABELS.get(dimension, {}).get(key, key))
