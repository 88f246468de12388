"""Who may do what, in one place: views, API, CLI and tasks all ask `can()`."""

from __future__ import annotations

import enum
from typing import Any

from lanet.accounts.models import RoleName, User


class Action(enum.StrEnum):
    # events and agendas
    manage_event = "manage_event"
    edit_agenda = "edit_agenda"
    view_draft_agenda = "view_draft_agenda"
    # registrations
    view_registrations = "view_registrations"
    approve_registrations = "approve_registrations"
    invite = "invite"
    nominate = "nominate"
    check_in = "check_in"
    # country-level
    view_country_registrations = "view_country_registrations"
    view_country_totals = "view_country_totals"
    # the Secretariat
    view_totals = "view_totals"
    view_outbox = "view_outbox"
    view_audit = "view_audit"
    manage_users = "manage_users"
    manage_people = "manage_people"
    create_event = "create_event"
    manage_bulletin = "manage_bulletin"
    # certificates: an event's organizers manage its own; withdrawing is the Secretariat's
    manage_certificates = "manage_certificates"
    withdraw_certificates = "withdraw_certificates"
    # the events workspace: anyone with a role sees the events that role concerns
    view_workspace = "view_workspace"
    manage_api_tokens = "manage_api_tokens"


# Actions an organizer may take on their own event.
_ORGANIZER_EVENT_ACTIONS = {
    Action.manage_event,
    Action.edit_agenda,
    Action.view_draft_agenda,
    Action.view_registrations,
    Action.approve_registrations,
    Action.invite,
    Action.check_in,
    Action.manage_certificates,
}
# Actions a focal point may take for their own country (obj is a country code).
_FOCAL_POINT_COUNTRY_ACTIONS = {
    Action.nominate,
    Action.view_country_registrations,
    Action.view_country_totals,
}


def is_staff(user: User | None) -> bool:
    return bool(user and user.is_active and any(r.role == RoleName.staff for r in user.roles))


def organized_event_ids(user: User | None) -> set[int]:
    if not user or not user.is_active:
        return set()
    return {r.event_id for r in user.roles if r.role == RoleName.organizer and r.event_id}


def focal_point_countries(user: User | None) -> set[str]:
    if not user or not user.is_active:
        return set()
    return {r.country_code for r in user.roles if r.role == RoleName.focal_point and r.country_code}


def _event_id(obj: Any) -> int | None:
    if isinstance(obj, int):
        return obj
    return getattr(obj, "id", None) if obj is not None else None


def can(user: User | None, action: Action | str, obj: Any = None) -> bool:
    """`obj` is an event (or its id) for event actions, a country code for country actions."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    action = Action(action)
    if is_staff(user):
        return True
    if action == Action.view_workspace:
        return bool(user.roles)
    if action in _ORGANIZER_EVENT_ACTIONS:
        event_id = _event_id(obj)
        return event_id is not None and event_id in organized_event_ids(user)
    if action in _FOCAL_POINT_COUNTRY_ACTIONS:
        return isinstance(obj, str) and obj in focal_point_countries(user)
    return False
