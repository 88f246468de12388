"""Creating, editing and copying events; their organizers.

Every function checks its input (`validation.check`), changes the database, records an audit
entry with the values before and after, and commits — or raises and changes nothing. Capacity
and quota changes happen under the event row lock (`locks.lock_event`), the lock seat-taking
holds, so an edit never lets confirmed seats exceed what it sets.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import select

from lanet.accounts.models import RoleName, User, UserRole
from lanet.core import audit, signals
from lanet.events.locks import lock_event
from lanet.events.models import Event, EventPartner, EventQuota, EventStatus
from lanet.events.validation import (
    EDITABLE_FIELDS,
    EventInput,
    EventInvalid,
    audited_as,
    check,
)
from lanet.extensions import db

# What the audit log compares before and after: every editable field, under its column's name.
AUDITED = tuple(audited_as(name) for name in EDITABLE_FIELDS)
# Kept as their own keys (related rows, not columns of the event).
_RELATED = ("quotas", "supporters")
# Changing these moves the event: that is `lifecycle.move_event`'s work (registrants are told).
_SCHEDULE = ("start_date", "end_date", "starts_at", "ends_at", "timezone")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return dict(value)
    return value


def snapshot(event: Event) -> dict[str, Any]:
    """What the audit log keeps of an event: its editable columns, quotas and supporters."""
    values = {name: _plain(getattr(event, name)) for name in AUDITED if name not in _RELATED}
    values["quotas"] = {q.country_code: q.seats for q in event.quotas}
    values["supporters"] = sorted(p.institution_id for p in event.partners if p.role == "supporter")
    return values


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changed = {k for k in after if before.get(k) != after.get(k)}
    return {
        "before": {k: before.get(k) for k in sorted(changed)},
        "after": {k: after.get(k) for k in sorted(changed)},
    }


def _apply(event: Event, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name in ("quotas", "supporters"):
            continue
        if getattr(event, name) != value:
            setattr(event, name, value)
    _apply_quotas(event, values["quotas"])
    _apply_supporters(event, values["supporters"])


def _apply_quotas(event: Event, quotas: dict[str, int]) -> None:
    existing = {q.country_code: q for q in event.quotas}
    for code, quota in existing.items():
        if code not in quotas:
            event.quotas.remove(quota)  # validation made sure no seat of it is confirmed
    for code, seats in quotas.items():
        if code in existing:
            if existing[code].seats != seats:
                existing[code].seats = seats
        else:
            event.quotas.append(EventQuota(country_code=code, seats=seats, seats_confirmed=0))


def _apply_supporters(event: Event, institution_ids: list[int]) -> None:
    existing = {p.institution_id: p for p in event.partners if p.role == "supporter"}
    for institution_id, partner in existing.items():
        if institution_id not in institution_ids:
            event.partners.remove(partner)
    for institution_id in institution_ids:
        if institution_id not in existing:
            event.partners.append(EventPartner(institution_id=institution_id, role="supporter"))


def create_event(
    data: EventInput,
    *,
    user_id: int | None = None,
    organizer_ids: list[int] | None = None,
    copied_from: Event | None = None,
) -> Event:
    """A new event, planned; its creator (when not staff) and `organizer_ids` organize it."""
    try:
        values = check(data)
        organizers = _users(organizer_ids or [])
        event = Event(status=EventStatus.planned, seats_confirmed=0, sequence=0)
        _apply(event, values)
        db.session.add(event)
        db.session.flush()
        for user in organizers:
            _grant_organizer(user, event)
        after = snapshot(event)
        audit.record(
            "event.created",
            "event",
            event.id,
            event_id=event.id,
            user_id=user_id,
            changes={
                "before": {},
                "after": after,
                **({"copied_from": copied_from.slug} if copied_from else {}),
            },
        )
        if copied_from is not None:
            signals.event_copied.send(
                event.id,
                source_id=copied_from.id,
                day_shift=(event.start_date - copied_from.start_date).days,
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def update_event(event_id: int, data: EventInput, *, user_id: int | None = None) -> Event:
    """Edits an event's settings. Dates and time zone change only through `move_event`,
    capacity and quotas never below the seats already confirmed (under the seat lock)."""
    try:
        event = _event_for_edit(event_id)
        if event.status == EventStatus.cancelled:
            raise EventInvalid({"status": _("This event is cancelled; it can no longer change.")})
        values = check(data, event)
        moved = [name for name in _SCHEDULE if _plain(values[name]) != _plain(getattr(event, name))]
        if moved:
            raise EventInvalid(
                {
                    moved[0]: _(
                        "Dates and the time zone change through Move, which tells registrants."
                    )
                }
            )
        before = snapshot(event)
        added = _seats_added(event, values)
        _apply(event, values)
        db.session.flush()
        after = snapshot(event)
        changes = _diff(before, after)
        if changes["after"]:
            event.sequence = (event.sequence or 0) + 1
            audit.record(
                "event.updated", "event", event.id, event_id=event.id, user_id=user_id,
                changes=changes,
            )  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if added:
        signals.event_seats_added.send(event.id)
    return event


def _event_for_edit(event_id: int) -> Event:
    event = lock_event(event_id)
    if event is None:
        raise EventInvalid({"event": _("No such event.")})
    return event


def _seats_added(event: Event, values: dict[str, Any]) -> bool:
    old_capacity, new_capacity = event.capacity, values["capacity"]
    if old_capacity is not None and (new_capacity is None or new_capacity > old_capacity):
        return True
    old_quotas = {q.country_code: q.seats for q in event.quotas}
    return any(seats > old_quotas.get(code, seats) for code, seats in values["quotas"].items())


def set_capacity(
    event_id: int,
    capacity: int | None,
    quotas: dict[str, int] | None = None,
    *,
    user_id: int | None = None,
) -> Event:
    """Only the seats: the capacity and, when given, the country quotas."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise EventInvalid({"event": _("No such event.")})
    data = EventInput.from_event(event)
    data.capacity = capacity
    if quotas is not None:
        data.quotas = quotas
    return update_event(event_id, data, user_id=user_id)


def copy_input(source: Event, start_date: date, *, slug: str) -> EventInput:
    """The settings of `source` moved to begin on `start_date`: same length, same times of
    day, quotas and registration window shifted by the same number of days."""
    data = EventInput.from_event(source)
    shift = timedelta(days=(start_date - source.start_date).days)
    data.slug = slug
    data.start_date = start_date
    data.end_date = source.end_date + shift
    data.registration_opens_at = (
        source.registration_opens_at and source.registration_opens_at + shift
    )
    data.registration_closes_at = (
        source.registration_closes_at and source.registration_closes_at + shift
    )
    data.cycle_id = None
    data.part_number = None
    return data


def copy_event(source_id: int, data: EventInput, *, user_id: int | None = None) -> Event:
    """A new event from an earlier one: `data` (usually `copy_input` edited by the user) and
    the source's agenda skeleton shifted to the new dates, as a draft."""
    source = db.session.get(Event, source_id)
    if source is None:
        raise EventInvalid({"source": _("No such event.")})
    return create_event(data, user_id=user_id, copied_from=source)


# --- organizers ----------------------------------------------------------------------------


def _users(user_ids: list[int]) -> list[User]:
    users = []
    for user_id in user_ids:
        user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
        if user is None or not user.active:
            raise EventInvalid({"organizers": _("Choose organizers among the active users.")})
        users.append(user)
    return users


def _grant_organizer(user: User, event: Event) -> UserRole | None:
    for role in user.roles:
        if role.role == RoleName.organizer and role.event_id == event.id:
            return None
    role = UserRole(role=RoleName.organizer, event_id=event.id)
    user.roles.append(role)
    audit.record(
        "event.organizer_added",
        "event",
        event.id,
        event_id=event.id,
        person_id=user.person_id,
        changes={"before": {"organizer": None}, "after": {"organizer": user.email}},
    )
    return role


def organizers_of(event_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == RoleName.organizer, UserRole.event_id == event_id)
            .order_by(User.email)
        )
    )


def add_organizer(event_id: int, user_id: int, *, user_id_acting: int | None = None) -> bool:
    """Makes an existing user an organizer of the event; False if they already were."""
    try:
        event = db.session.get(Event, event_id)
        if event is None:
            raise EventInvalid({"event": _("No such event.")})
        (user,) = _users([user_id])
        added = _grant_organizer(user, event) is not None
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return added


def remove_organizer(event_id: int, user_id: int) -> bool:
    """Ends a user's organizer role for the event; False if they had none."""
    try:
        role = db.session.scalar(
            select(UserRole).where(
                UserRole.user_id == user_id,
                UserRole.role == RoleName.organizer,
                UserRole.event_id == event_id,
            )
        )
        if role is None:
            return False
        user = role.user
        user.roles.remove(role)
        audit.record(
            "event.organizer_removed",
            "event",
            event_id,
            event_id=event_id,
            person_id=user.person_id,
            changes={"before": {"organizer": user.email}, "after": {"organizer": None}},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def invite_organizer(
    event_id: int, email: str, first_name: str, last_name: str, language: str
) -> User:
    """An account invitation by email for a new organizer of the event (accounts sends it),
    or the role added to the existing account of that address."""
    from lanet.accounts import service as accounts

    existing = accounts.user_by_email(email)
    if existing is not None:
        add_organizer(event_id, existing.id)
        return existing
    user = accounts.invite_user(
        email, first_name, last_name, language, [accounts.RoleSpec("organizer", event_id=event_id)]
    )
    audit.record(
        "event.organizer_invited",
        "event",
        event_id,
        event_id=event_id,
        person_id=user.person_id,
        changes={"before": {"organizer": None}, "after": {"organizer": user.email}},
    )
    db.session.commit()
    return user
