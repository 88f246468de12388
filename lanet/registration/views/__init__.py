"""Registration pages: one blueprint, its routes in two modules by audience.

`participant.py`: the public form, the private link and invitation links (no account).
`organizer.py`: organizers' registrations and invitations, focal points' nominations.
"""

from __future__ import annotations

from flask import Blueprint, flash
from flask_babel import gettext as _
from flask_login import current_user

from lanet.accounts.permissions import focal_point_countries
from lanet.core.i18n import built_in_language, current_language
from lanet.registration import errors, forms, queries

bp = Blueprint("registration", __name__)


@bp.app_context_processor
def _labels() -> dict:
    return {
        **built_in_language(_translated_labels),
        "registration_is_open": queries.registration_is_open,
        "may_nominate": _may_nominate,
    }


def _translated_labels() -> dict:
    """Every page's registration labels: translated once per process and language."""
    return {
        "REGISTRATION_STATUS_LABELS": {
            "pending": _("Pending approval"),
            "confirmed": _("Confirmed"),
            "waitlisted": _("Waiting list"),
            "cancelled": _("Cancelled"),
            "declined": _("Declined"),
        },
        "INVITATION_STATE_LABELS": {
            "invited": _("Invited"),
            "opened": _("Opened"),
            "registered": _("Registered"),
            "declined": _("Declined"),
        },
        "REGISTRATION_ROLE_LABELS": {
            **{role: str(label) for role, label in forms.role_choices()},
            "organizer": _("Organizer"),
        },
    }


def _may_nominate() -> bool:
    return bool(getattr(current_user, "is_authenticated", False)) and bool(
        focal_point_countries(current_user)
    )


def fill_choices(form, country_code: str | None = None) -> None:
    language = current_language()
    if hasattr(form, "country"):
        countries = sorted(queries.countries(), key=lambda c: c.name(language))
        form.country.choices = [("", _("— choose —"))] + [
            (c.code, c.name(language)) for c in countries
        ]
    institutions = queries.institution_choices(country_code)
    form.institution.choices = [(None, _("— not listed —"))] + [
        (i.id, f"{i.name} ({i.country_code})" if i.country_code else i.name) for i in institutions
    ]


def fill_submitted_choices(form) -> None:
    """The choices a POST is validated against, narrowed to what was submitted: the country
    and institution named, when they exist (the same verdict as the whole lists, without
    loading every institution on each registration). A form shown again calls
    `fill_choices` for the whole lists."""
    country = form.country.data or None
    known = bool(country) and queries.country_exists(country)
    form.country.choices = [("", "")] + ([(country, country)] if known else [])
    institution_id = form.institution.data
    institution = queries.institution_by_id(institution_id) if institution_id else None
    form.institution.choices = [(None, "")] + (
        [(institution.id, institution.name)] if institution else []
    )


def apply_error(form, error: errors.RegistrationError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


# The routes register on `bp` when their modules are imported (after `bp` exists).
from lanet.registration.views import organizer, participant  # noqa: E402, F401
