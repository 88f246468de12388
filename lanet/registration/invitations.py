"""Invitations: personal links to register, sent to typed addresses, a CSV file, every focal
point or the attendees of a cycle's first part; opening, declining and reminders.

Every function that writes commits its own transaction, with the emails it queues.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lanet.accounts.models import RoleName, User, UserRole
from lanet.core import audit, signals
from lanet.core.types import utcnow
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import LANGUAGES, Person
from lanet.registration import notifications
from lanet.registration.errors import RegistrationError
from lanet.registration.models import Invitation, new_token
from lanet.registration.people import find_person, normalize_email
from lanet.registration.queries import get_event, invitation_by_token


@dataclass
class Invitee:
    email: str
    language: str = "es"


@dataclass
class InviteResult:
    created: list[Invitation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def invitation_for_event(event: Event, token: str | None) -> Invitation | None:
    """The invitation a registration form carries, if it is one of this event's."""
    if not token:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token == token))
    if invitation is None or invitation.event_id != event.id:
        return None
    return invitation


def invite(event_id: int, invitees: Iterable[Invitee], user_id: int | None) -> InviteResult:
    """Sends a personal invitation link to each new address; those already invited are skipped."""
    event = get_event(event_id)
    result = InviteResult()
    already = set(
        db.session.scalars(select(Invitation.email).where(Invitation.event_id == event_id))
    )
    try:
        for invitee in invitees:
            email = normalize_email(invitee.email)
            if email in already:
                result.skipped.append(email)
                continue
            already.add(email)
            person = find_person(email)
            language = person.language if person else invitee.language
            invitation = Invitation(
                event_id=event.id,
                email=email,
                person_id=person.id if person else None,
                language=language if language in LANGUAGES else "es",
                token=new_token(),
                invited_by_id=user_id,
                sent_at=utcnow(),
            )
            db.session.add(invitation)
            db.session.flush()
            notifications.send_invitation(invitation, event, "invitation")
            result.created.append(invitation)
        if result.created:
            audit.record(
                "invitations.sent",
                "event",
                event.id,
                changes={"count": len(result.created)},
                event_id=event.id,
                user_id=user_id,
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def focal_point_invitees(event_id: int) -> list[Invitee]:
    """Every active focal point of the Network."""
    rows = db.session.execute(
        select(User.email, Person.language)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Person, Person.id == User.person_id)
        .where(UserRole.role == RoleName.focal_point, User.active.is_(True))
        .distinct()
        .order_by(User.email)
    )
    return [Invitee(email=email, language=language) for email, language in rows]


def previous_part_attendees(event_id: int) -> list[Invitee]:
    """Everyone who attended part 1 of this event's cycle (checked in at least once)."""
    event = get_event(event_id)
    if event.cycle_id is None or not event.part_number or event.part_number < 2:
        raise RegistrationError(str(_l("This event is not a later part of a cycle.")))
    first_part = db.session.scalar(
        select(Event.id).where(Event.cycle_id == event.cycle_id, Event.part_number == 1)
    )
    if first_part is None:
        return []
    # Who attended is attendance's knowledge (a feature above this one): it answers a signal.
    rows = signals.collect_attendees(first_part)
    return [Invitee(email=email, language=language) for email, language in rows]


def open_invitation(token: str) -> Invitation:
    invitation = invitation_by_token(token)
    if invitation.opened_at is None:
        invitation.opened_at = utcnow()
        db.session.commit()
    return invitation


def decline_invitation(token: str) -> Invitation:
    invitation = invitation_by_token(token)
    if invitation.accepted_at is not None:
        raise RegistrationError(
            str(_l("You have already registered; cancel through your private link instead."))
        )
    if invitation.declined_at is None:
        invitation.declined_at = utcnow()
        audit.record(
            "invitation.declined",
            "invitation",
            invitation.id,
            event_id=invitation.event_id,
            person_id=invitation.person_id,
            actor="invitation link",
        )
        db.session.commit()
    return invitation


def remind_invitations(event_id: int, user_id: int | None, now: datetime | None = None) -> int:
    """Reminds those invited who have neither registered nor declined (once a day at most)."""
    now = now or utcnow()
    event = get_event(event_id)
    due = list(
        db.session.scalars(
            select(Invitation).where(
                Invitation.event_id == event_id,
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
                or_(
                    Invitation.reminded_at.is_(None),
                    Invitation.reminded_at < now - timedelta(days=1),
                ),
            )
        )
    )
    try:
        for invitation in due:
            invitation.reminded_at = now
            notifications.send_invitation(invitation, event, "invitation_reminder")
        if due:
            audit.record(
                "invitations.reminded",
                "event",
                event_id,
                changes={"count": len(due)},
                event_id=event_id,
                user_id=user_id,
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(due)
