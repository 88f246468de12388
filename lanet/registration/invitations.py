"""Invitations: personal links to register, sent to typed addresses, a CSV file, every focal
point or the attendees of a cycle's first part; opening, declining and reminders.

Every function that writes commits its own transaction, with the emails it queues.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from lanet.accounts.models import RoleName, User, UserRole
from lanet.core import audit, signals
from lanet.core.types import utcnow
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import LANGUAGES, Person
from lanet.registration import notifications
from lanet.registration.errors import RegistrationError
from lanet.registration.models import Invitation, Registration, RegistrationStatus
from lanet.registration.people import find_person, normalize_email
from lanet.registration.queries import by_link, get_event, invitation_by_token


@dataclass
class Invitee:
    email: str
    language: str = "es"
    # Its line in the file (or place in the list), for the progress page's failures.
    row: int | None = None


# Why an address is not invited (or reminded): it has already answered one way or another.
REGISTERED = "registered"
DECLINED = "declined"
CANCELLED = "cancelled"
INVITED = "invited"
SKIP_REASONS = (REGISTERED, DECLINED, CANCELLED, INVITED)


@dataclass
class InviteResult:
    created: list[Invitation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # reason → addresses skipped for it
    skipped_by: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, email: str, reason: str) -> None:
        self.skipped.append(email)
        self.skipped_by.setdefault(reason, []).append(email)


@dataclass
class Plan:
    """What sending would do, told before sending: who gets a message, who is left out, why."""

    send: list[str] = field(default_factory=list)
    skipped_by: dict[str, list[str]] = field(default_factory=dict)

    def count(self, reason: str) -> int:
        return len(self.skipped_by.get(reason, []))


def answered(event_id: int, emails: list[str] | None = None) -> dict[str, str]:
    """Addresses that must not be invited or reminded again, with the reason: registered
    (confirmed, pending or waiting), declined (the invitation or by the organizers), or
    cancelled, for this event; only among `emails` (normalized) when given."""
    found: dict[str, str] = {}
    people = select(Person.email, Registration.status).join(
        Registration, Registration.person_id == Person.id
    )
    invitations = select(Invitation.email).where(
        Invitation.event_id == event_id, Invitation.declined_at.is_not(None)
    )
    if emails is not None:
        people = people.where(func.lower(Person.email).in_(emails))
        invitations = invitations.where(Invitation.email.in_(emails))
    rows = db.session.execute(
        people.where(Registration.event_id == event_id, Person.email.is_not(None))
    )
    for email, status in rows:
        if status == RegistrationStatus.cancelled:
            found[email.lower()] = CANCELLED
        elif status == RegistrationStatus.declined:
            found[email.lower()] = DECLINED
        else:
            found[email.lower()] = REGISTERED
    for email in db.session.scalars(invitations):
        found.setdefault(email.lower(), DECLINED)
    return found


def plan(event_id: int, invitees: Iterable[Invitee]) -> Plan:
    """Who an invitation to these addresses would reach, and who it would skip and why."""
    result = Plan()
    done = answered(event_id)
    already = set(
        db.session.scalars(select(Invitation.email).where(Invitation.event_id == event_id))
    )
    seen: set[str] = set()
    for invitee in invitees:
        email = normalize_email(invitee.email)
        if email in seen:
            continue
        seen.add(email)
        reason = done.get(email) or (INVITED if email in already else None)
        if reason:
            result.skipped_by.setdefault(reason, []).append(email)
        else:
            result.send.append(email)
    return result


def reminder_plan(event_id: int, now: datetime | None = None) -> Plan:
    """Who a reminder would reach now: invited, silent, not reminded in the last day."""
    result = Plan()
    done = answered(event_id)
    for invitation in _silent(event_id, now or utcnow()):
        reason = done.get(invitation.email.lower())
        if reason:
            result.skipped_by.setdefault(reason, []).append(invitation.email)
        else:
            result.send.append(invitation.email)
    return result


def invitation_for_event(event: Event, token: str | None) -> Invitation | None:
    """The invitation a registration form carries, if it is one of this event's."""
    invitation = by_link(Invitation, token)
    if invitation is None or invitation.event_id != event.id:
        return None
    return invitation


@dataclass
class Sending:
    """What one send knows before its rows: the event, who has answered, who is invited."""

    event: Event
    done: dict[str, str]
    already: set[str]
    # The people with these addresses, looked up at once for a worker's chunk (else one by one).
    people: dict[str, Person] | None = None
    # The event's part of the message, built once per language.
    contexts: dict[str, dict] = field(default_factory=dict)


def sending(event_id: int, emails: Iterable[str] | None = None) -> Sending:
    """The state a send checks each address against; only these `emails`' when given (a
    worker's chunk), else the whole event's."""
    event = get_event(event_id)
    query = select(Invitation.email).where(Invitation.event_id == event_id)
    wanted = people = None
    if emails is not None:
        wanted = [normalize_email(e) for e in emails]
        query = query.where(Invitation.email.in_(wanted))
        people = {
            p.email: p for p in db.session.scalars(select(Person).where(Person.email.in_(wanted)))
        }
    return Sending(
        event=event,
        done=answered(event_id, wanted),
        already=set(db.session.scalars(query)),
        people=people,
    )


def invite_one(
    state: Sending, invitee: Invitee, user_id: int | None, *, flush: bool = True
) -> tuple[Invitation | None, str | None]:
    """Writes one invitation and queues its email in the caller's transaction (no commit):
    (the invitation, None), or (None, the reason it is skipped). `flush=False` leaves the
    INSERT to the caller's next flush (a worker's chunk, written at once)."""
    email = normalize_email(invitee.email)
    if email in state.done:
        return None, state.done[email]
    if email in state.already:
        return None, INVITED
    person = find_person(email) if state.people is None else state.people.get(email)
    language = person.language if person else invitee.language
    invitation = Invitation(
        event_id=state.event.id,
        email=email,
        person_id=person.id if person else None,
        language=language if language in LANGUAGES else "es",
        invited_by_id=user_id,
        sent_at=utcnow(),
    )
    invitation.person = person
    db.session.add(invitation)
    if flush:
        db.session.flush()
    notifications.send_invitation(invitation, state.event, "invitation", state.contexts)
    state.already.add(email)
    return invitation, None


def invite(event_id: int, invitees: Iterable[Invitee], user_id: int | None) -> InviteResult:
    """Sends a personal invitation link to each new address; those already invited are skipped."""
    state = sending(event_id)
    event = state.event
    result = InviteResult()
    try:
        for invitee in invitees:
            invitation, reason = invite_one(state, invitee, user_id)
            if invitation is None:
                result.skip(normalize_email(invitee.email), reason or INVITED)
            else:
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


def _silent(event_id: int, now: datetime, since: datetime | None = None) -> list[Invitation]:
    """Invitations neither accepted nor declined, not reminded since `since` (a day ago)."""
    since = since or now - timedelta(days=1)
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.event_id == event_id,
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
                or_(Invitation.reminded_at.is_(None), Invitation.reminded_at < since),
            )
            .order_by(Invitation.email)
        )
    )


def remind_invitations(
    event_id: int,
    user_id: int | None,
    now: datetime | None = None,
    since: datetime | None = None,
) -> int:
    """Reminds those invited who have not answered (once a day at most, or once since
    `since`); anyone registered, declined or cancelled for the event by another way (a
    focal point's nomination, the public form) is left out."""
    now = now or utcnow()
    event = get_event(event_id)
    done = answered(event_id)
    due = [
        i
        for i in _silent(event_id, now, since)
        if i.email.lower() not in done and (since is None or (i.sent_at or now) <= since)
    ]
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


def set_reminder_days(event_id: int, text: str, user_id: int | None) -> list[int]:
    """The organizer's reminder schedule: days before registration closes ("7, 2")."""
    parts = [p for p in (text or "").replace(" ", "").split(",") if p]
    # isascii: "²" is a digit to str.isdigit but not to int().
    if any(not (p.isascii() and p.isdigit()) or not 0 < int(p) <= 365 for p in parts):
        raise RegistrationError(
            str(_l("Give whole numbers of days between 1 and 365, separated by commas.")),
            "reminder_days",
        )
    days = sorted({int(p) for p in parts}, reverse=True)
    event = get_event(event_id)
    event.reminder_days = ",".join(str(d) for d in days) or None
    audit.record(
        "invitations.reminder_schedule",
        "event",
        event.id,
        changes={"reminder_days": event.reminder_days},
        event_id=event.id,
        user_id=user_id,
    )
    db.session.commit()
    return days


def due_reminder(event: Event, now: datetime) -> datetime | None:
    """The latest point of the event's schedule that has passed (closing minus N days), while
    registration is still open; None when no reminder is due."""
    closes = event.registration_closes_at
    if closes is None or now >= closes:
        return None
    passed = [closes - timedelta(days=d) for d in event.reminder_schedule]
    passed = [moment for moment in passed if moment <= now]
    return max(passed) if passed else None


def send_scheduled_reminders(now: datetime | None = None) -> dict[int, int]:
    """What beat runs: for each open event whose schedule has a reminder due, reminds the
    silent invitees not reminded since that point (so each point sends once)."""
    from lanet.events.models import EventStatus

    now = now or utcnow()
    sent: dict[int, int] = {}
    events = db.session.scalars(
        select(Event).where(
            Event.reminder_days.is_not(None),
            Event.registration_closes_at.is_not(None),
            Event.status == EventStatus.open,
        )
    ).all()
    for event in events:
        point = due_reminder(event, now)
        if point is None:
            continue
        # Invited after the point: their invitation is newer than the reminder would be.
        count = remind_invitations(event.id, None, now=now, since=point)
        if count:
            sent[event.id] = count
    return sent
