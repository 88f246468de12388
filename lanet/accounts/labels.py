"""How roles read on pages, in the viewer's language."""

from __future__ import annotations

from flask import current_app, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lanet.accounts.models import RoleName, UserRole
from lanet.core import signals
from lanet.core.i18n import current_language
from lanet.extensions import db
from lanet.network.models import Country


def _event(event_id: int | None):
    """The organizer's event (events sit above accounts and hand it over on request), read
    once per request: a role's label and its links each name it."""
    if not event_id:
        return None
    read = g.setdefault("role_events", {})
    if event_id not in read:
        read[event_id] = signals.collect_events([event_id]).get(event_id)
    return read[event_id]


def role_label(role: UserRole) -> str:
    if role.role == RoleName.staff:
        return _("Technical Secretariat (staff)")
    if role.role == RoleName.organizer:
        event = _event(role.event_id)
        title = event.display_title(current_language()) if event else str(role.event_id)
        return _("Organizer of %(event)s", event=title)
    country = db.session.get(Country, role.country_code) if role.country_code else None
    name = country.name(current_language()) if country else role.country_code
    return _("Focal point of %(country)s", country=name)


# Pages each role works on, by endpoint; an endpoint a deployment lacks is left out.
_ORGANIZER_PAGES = (
    ("registration.registrations", _l("Registrations")),
    ("agenda.editor", _l("Agenda")),
    ("registration.invitations", _l("Invitations")),
    ("attendance.check_in", _l("Check-in")),
)
_FOCAL_POINT_PAGES = (
    ("registration.nominations", _l("Nominations")),
    ("attendance.focal_point_totals", _l("Country totals")),
)


def role_links(role: UserRole) -> list[tuple[str, str]]:
    """(label, address) of the pages a role is for, shown on the account page."""
    if role.role == RoleName.organizer and role.event_id:
        event = _event(role.event_id)
        pages, values = _ORGANIZER_PAGES, {"slug": event.slug if event else ""}
    elif role.role == RoleName.focal_point:
        pages, values = _FOCAL_POINT_PAGES, {"country": role.country_code}
    else:
        return []
    return [
        (str(label), url_for(endpoint, **values))
        for endpoint, label in pages
        if endpoint in current_app.view_functions and all(values.values())
    ]
