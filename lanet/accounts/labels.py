"""How roles read on pages, in the viewer's language."""

from __future__ import annotations

from flask_babel import gettext as _

from lanet.accounts.models import RoleName, UserRole
from lanet.core.i18n import current_language
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Country


def role_label(role: UserRole) -> str:
    if role.role == RoleName.staff:
        return _("Technical Secretariat (staff)")
    if role.role == RoleName.organizer:
        event = db.session.get(Event, role.event_id) if role.event_id else None
        title = event.display_title(current_language()) if event else str(role.event_id)
        return _("Organizer of %(event)s", event=title)
    country = db.session.get(Country, role.country_code) if role.country_code else None
    name = country.name(current_language()) if country else role.country_code
    return _("Focal point of %(country)s", country=name)
