"""The registration lifecycle: register, change, cancel, approve, decline.

Every public function takes ids and plain values, commits its own transaction (with the outbox
rows and audit entries it causes) and raises a `RegistrationError` subclass, changing nothing,
when the request cannot be honoured. The concerns it builds on live beside it:
`seats.py` (seats and quotas under the event lock), `waitlist.py` (offers), `invitations.py`,
`nominations.py`, `imports.py` (CSV), `notifications.py` (the emails), `people.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from lanet.core import audit, rows
from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.events import locks
from lanet.extensions import db
from lanet.mail.models import OutboxMessage
from lanet.network.models import LANGUAGES
from lanet.registration import notifications, people, seats, standing, waitlist
from lanet.registration.errors import (
    AlreadyRegistered,
    RegistrationClosed,
    RegistrationError,
    SeatBusy,
)
from lanet.registration.invitations import invitation_for_event
from lanet.registration.models import (
    Registration,
    RegistrationRole,
    RegistrationStatus,
)
from lanet.registration.nominations import nominator_id
from lanet.registration.queries import (
    already_registered,
    get_event,
    registration_by_token,
    registration_is_open,
)


@dataclass
class Applicant:
    first_name: str
    last_name: str
    email: str
    country_code: str | None
    language: str = "es"
    position: str | None = None
    institution_id: int | None = None
    new_institution_name: str | None = None
    new_institution_kind: str | None = None
    role: str = RegistrationRole.participant
    consent: bool = False


@dataclass
class Changes:
    position: str | None = None
    institution_id: int | None = None
    new_institution_name: str | None = None
    new_institution_kind: str | None = None
    language: str | None = None


# --- Registering -----------------------------------------------------------------------------


def register(
    event_id: int,
    applicant: Applicant,
    *,
    invitation_token: str | None = None,
    actor: str = "public form",
) -> Registration:
    """Registers a person; confirmed, waitlisted or pending approval as seats and rules say."""
    try:
        return _register(event_id, applicant, invitation_token, actor)
    except _PersonRace:
        # Another request created this person a moment ago: once more, now as a returning one.
        return _register(event_id, applicant, invitation_token, actor)


class _PersonRace(Exception):
    pass


def _register(
    event_id: int, applicant: Applicant, invitation_token: str | None, actor: str
) -> Registration:
    event = get_event(event_id)
    if not registration_is_open(event):
        raise RegistrationClosed(str(_l("Registration for this event is not open.")))
    if not applicant.consent:
        raise RegistrationError(
            str(_l("Registration needs your consent to the processing of your data.")),
            "consent",
        )
    if applicant.role not in RegistrationRole.__members__:
        raise RegistrationError(str(_l("Choose a role from the list.")), "role")
    invitation = invitation_for_event(event, invitation_token)
    try:
        # On PostgreSQL the lookup also draws the ids of the rows to write, and they are
        # written together, in one statement (`_Rows`).
        found = people.person_for(
            email=applicant.email,
            first_name=applicant.first_name,
            last_name=applicant.last_name,
            country_code=applicant.country_code,
            language=applicant.language,
            position=applicant.position,
            institution_id=applicant.institution_id,
            new_institution_name=applicant.new_institution_name,
            new_institution_kind=applicant.new_institution_kind,
            registering_for=event.id if rows.writes_together() else None,
        )
        person, returning = found.person, found.returning
        registered = found.registered
        if returning and registered is None:
            registered = already_registered(person.id, event.id)
        if returning and registered:
            raise AlreadyRegistered(
                str(
                    _l(
                        "This email address is already registered for this event. Use the "
                        "private link in your confirmation email to see or change it."
                    )
                ),
                "email",
            )
        registration = Registration(
            person_id=person.id,
            event_id=event.id,
            role=applicant.role,
            status=RegistrationStatus.pending,
        )
        if invitation is not None:
            registration.invitation_id = invitation.id
            # The nomination counts only for the person nominated, not for whoever uses the link.
            if invitation.person_id in (None, person.id):
                registration.nominated_by_id = nominator_id(invitation)
        registration.person = person
        registration.event = event
        rows_to_write = _Rows(found.ids, new_person=not returning)
        if event.requires_approval:
            rows_to_write.registration(registration)
            _record_and_send(registration, "registration_pending", returning, actor, rows_to_write)
        else:
            _register_seat(registration, returning, actor, rows_to_write)
        if invitation is not None:
            # After the rows are written: a new person's row (its id drawn by the lookup)
            # exists only from there, and an earlier change would be flushed before it.
            invitation.accepted_at = invitation.accepted_at or utcnow()
            invitation.person_id = invitation.person_id or person.id
        db.session.commit()
    except OperationalError as error:
        db.session.rollback()
        # The wait for a row lock ran out (SEAT_LOCK_TIMEOUT_MS, set by the seat look): the
        # seat step, or an insert waiting on a simultaneous request's row. Nothing is written.
        if locks.is_lock_timeout(error):
            raise SeatBusy() from error
        raise
    except IntegrityError as error:
        # A simultaneous request for the same person and event won the unique constraint.
        db.session.rollback()
        if _already_registered_email(applicant.email, event_id):
            raise AlreadyRegistered(
                str(_l("This email address is already registered for this event.")), "email"
            ) from error
        if people.find_person(applicant.email) is not None:
            raise _PersonRace() from error
        raise
    except Exception:
        db.session.rollback()
        raise
    return registration


def request_registration(
    event_id: int,
    applicant: Applicant,
    *,
    invitation_token: str | None = None,
    actor: str = "public form",
) -> None:
    """What the public form and the API call: the submitter learns nothing about the address.

    A new address is registered; a known one is registered with its stored details (the
    submitted ones are ignored); an address already registered for the event gets its private
    link again. In every case the private link goes to that inbox only, and the caller gets
    no registration, no person and no link back (DESIGN rule 9).
    """
    try:
        register(event_id, applicant, invitation_token=invitation_token, actor=actor)
    except AlreadyRegistered:
        send_private_link(event_id, applicant.email)


def send_private_link(event_id: int, email: str) -> None:
    """Sends the address's registration for the event, with its private link, to that address."""
    person = people.find_person(email)
    if person is None:
        return
    registration = db.session.scalar(
        select(Registration).where(
            Registration.person_id == person.id, Registration.event_id == event_id
        )
    )
    if registration is None:
        return
    notifications.send(registration, "registration_link")
    db.session.commit()


def _already_registered_email(email: str, event_id: int) -> bool:
    person = people.find_person(email)
    return person is not None and already_registered(person.id, event_id)


class _Rows:
    """Writes a registration's new rows: each at once by a Core INSERT (SQLite, or when no
    ids were drawn), or, with the ids the lookup drew (PostgreSQL), all of them together in
    one statement of data-modifying CTEs once the last is built (`rows.insert_all`): the
    person when new, the registration, its audit entry and its email. 4 round trips → 1."""

    def __init__(self, ids: tuple[int, ...], new_person: bool) -> None:
        self.together = bool(ids)
        self.ids = iter(ids)
        self.new_person = new_person

    def registration(self, registration: Registration) -> None:
        if not self.together:
            rows.insert_now(registration)
            return
        registration.id = next(self.ids)
        # A new person's id was drawn with the others (people.person_for).
        registration.person_id = registration.person.id

    def write(
        self, registration: Registration, entry: AuditEntry, message: OutboxMessage | None
    ) -> None:
        if not self.together:
            return  # each was written at once
        entry.id = next(self.ids)
        written = [registration.person] if self.new_person else []
        written += [registration, entry]
        if message is not None:
            message.id = next(self.ids)
            written.append(message)
        # The audit entry and the email stay out of the session: only a seat refused after
        # all changes them (`attach`, then).
        rows.insert_all(written, left_out=written[-2 if message is not None else -1 :])


def _record_and_send(
    registration: Registration,
    template: str,
    returning: bool,
    actor: str,
    rows_to_write: _Rows,
    waiting: standing.Waiting | None = None,
) -> tuple[AuditEntry, OutboxMessage | None]:
    # Each row is written by a Core INSERT (lanet/core/rows.py), at once or with the others
    # (`_Rows`): the unit of work's flushes were a quarter of a registration's CPU (issue 16).
    later = rows_to_write.together
    entry = audit.record(
        "registration.created",
        "registration",
        registration.id,
        changes={"status": registration.status, "returning": returning},
        event_id=registration.event_id,
        person_id=registration.person_id,
        actor=actor,
        now=True,
        unwritten=later,
    )
    message = notifications.send(registration, template, waiting=waiting, now=True, unwritten=later)
    rows_to_write.write(registration, entry, message)
    return entry, message


def _register_seat(
    registration: Registration, returning: bool, actor: str, rows_to_write: _Rows
) -> None:
    """Confirms a newcomer when a seat is free, else puts them on the waiting list.

    The event's row lock is held from the seat step until the commit, and every registration
    of a storm on one capped event waits for it, so the seat step comes last: everything a
    confirmation writes (the registration, its audit entry, the email; its calendar file is
    built later by the mail worker) is written first, on the strength of one unlocked look at
    the counters. Then one statement takes the seat under the lock (`seats.take_seat`) and the
    commit follows. In the rare case the look was wrong, the rows just written are turned into
    a waiting-list entry. A newcomer for whom the look finds no seat is waitlisted without
    taking the lock at all: a waiting-list entry changes no counter, and a seat freed
    meanwhile is offered by the waiting-list worker.
    """
    country = registration.person.country_code
    look = seats.look(registration.event_id, country)
    likely, quota_country = look.seat_for(country)
    # The status is set before the INSERT, so the row is written once, already final.
    seats.apply_seat(registration, likely, quota_country)
    rows_to_write.registration(registration)
    if not likely:
        _record_and_send(
            registration,
            "registration_waitlisted",
            returning,
            actor,
            rows_to_write,
            waiting=standing.waiting(registration, look, newcomer=True),
        )
        return
    entry, message = _record_and_send(
        registration, "registration_confirmed", returning, actor, rows_to_write
    )
    taken, seat_country = seats.take_seat(
        registration.event_id, country, respect_queue=False, look=look
    )
    if taken:
        if seat_country != quota_country:
            registration.seat_country_code = seat_country
        return
    registration.confirmed_at = None
    registration.seat_country_code = None
    seats.apply_seat(registration, False, None)
    rows.attach(entry)  # written together and left out of the session (`_Rows`)
    entry.changes = {**entry.changes, "status": registration.status}
    if message is not None:
        rows.attach(message)
        message.template = "registration_waitlisted"
        message.calendar_ics = None
        message.calendar_method = None
        waiting = standing.waiting(registration)
        context = dict(message.context)
        context.pop(notifications.CALENDAR_REGISTRATION, None)
        message.context = {
            **context,
            "status": registration.status,
            **(waiting.as_context() if waiting else {}),
        }


def registration_for_token(token: str) -> Registration:
    return registration_by_token(token)


# --- The participant's private link ----------------------------------------------------------


def change_registration(token: str, changes: Changes) -> Registration:
    """The participant's own changes through the private link (country and email stay)."""
    registration = registration_by_token(token)
    person = registration.person
    before = {
        "position": person.position,
        "institution_id": person.institution_id,
        "language": person.language,
    }
    try:
        if changes.language is not None:
            if changes.language not in LANGUAGES:
                raise RegistrationError(str(_l("Choose a language from the list.")), "language")
            person.language = changes.language
        if changes.position is not None:
            person.position = changes.position.strip() or None
        if changes.institution_id or changes.new_institution_name:
            institution = people.institution_for(
                person.country_code,
                changes.institution_id,
                changes.new_institution_name,
                changes.new_institution_kind,
            )
            person.institution_id = institution.id if institution else None
        after = {
            "position": person.position,
            "institution_id": person.institution_id,
            "language": person.language,
        }
        diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if diff:
            audit.record(
                "registration.changed",
                "registration",
                registration.id,
                changes=diff,
                event_id=registration.event_id,
                person_id=person.id,
                actor="participant link",
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return registration


def cancel_registration(token: str) -> Registration:
    """The participant cancels through the private link."""
    registration = registration_by_token(token)
    if registration.status in seats.FINAL:
        raise RegistrationError(str(_l("This registration is already cancelled.")))
    try:
        had_seat = seats.end(registration, RegistrationStatus.cancelled)
        if had_seat is None:
            raise RegistrationError(str(_l("This registration is already cancelled.")))
        registration.cancelled_at = utcnow()
        audit.record(
            "registration.cancelled",
            "registration",
            registration.id,
            event_id=registration.event_id,
            person_id=registration.person_id,
            actor="participant link",
        )
        notifications.send(registration, "registration_cancelled", had_seat=had_seat)
        if had_seat:
            waitlist.request_promotion(registration.event_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return registration


# --- Approval --------------------------------------------------------------------------------


@dataclass
class Approval:
    """What approving did: counts, and for each waitlisted person who could not be given a
    seat, why (a `standing` reason and the country whose quota is full)."""

    confirmed: int = 0
    waitlisted: int = 0
    skipped: int = 0
    not_promoted: list[tuple[Registration, str]] = field(default_factory=list)


def approve(registration_ids: Iterable[int], user_id: int | None) -> Approval:
    """Approves pending registrations in order of arrival (those without a seat wait), and
    promotes waitlisted ones into a seat when one is free for them; when none is, says why.
    Already confirmed, cancelled or declined registrations are skipped."""
    result = Approval()
    try:
        for registration in _registrations(registration_ids):
            seats.lock_and_refresh(registration)
            if registration.status == RegistrationStatus.waitlisted:
                _promote(registration, user_id, result)
                continue
            if registration.status != RegistrationStatus.pending:
                result.skipped += 1
                continue
            template = seats.seat_or_waitlist(registration, registration.person.country_code)
            if registration.status == RegistrationStatus.confirmed:
                result.confirmed += 1
            else:
                result.waitlisted += 1
            audit.record(
                "registration.approved",
                "registration",
                registration.id,
                changes={"status": registration.status},
                event_id=registration.event_id,
                person_id=registration.person_id,
                user_id=user_id,
            )
            notifications.send(registration, template)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _promote(registration: Registration, user_id: int | None, result: Approval) -> None:
    """An organizer moves a waitlisted person into a seat, ahead of the line if they choose;
    a seat already offered to them is simply confirmed. Under the event lock."""
    if registration.offer_expires_at is not None:
        taken, quota_country = True, registration.seat_country_code  # the offer holds a seat
    else:
        taken, quota_country = seats.take_seat(
            registration.event_id, registration.person.country_code, respect_queue=False
        )
    if not taken:
        result.waitlisted += 1
        result.not_promoted.append((registration, standing.reason(registration)))
        return
    seats.apply_seat(registration, True, quota_country)
    registration.offered_at = None
    registration.offer_expires_at = None
    result.confirmed += 1
    audit.record(
        "registration.promoted",
        "registration",
        registration.id,
        changes={"status": registration.status},
        event_id=registration.event_id,
        person_id=registration.person_id,
        user_id=user_id,
    )
    notifications.send(registration, "registration_confirmed")


def decline(registration_ids: Iterable[int], reason: str, user_id: int | None) -> int:
    """Declines registrations with a reason told to the registrant; freed seats pass on."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationError(str(_l("Give a reason for declining.")), "reason")
    declined = 0
    try:
        for registration in _registrations(registration_ids):
            if registration.status in seats.FINAL:
                continue
            had_seat = seats.end(registration, RegistrationStatus.declined)
            if had_seat is None:
                continue
            registration.decline_reason = reason[:2000]
            audit.record(
                "registration.declined",
                "registration",
                registration.id,
                changes={"reason": reason},
                event_id=registration.event_id,
                person_id=registration.person_id,
                user_id=user_id,
            )
            notifications.send(
                registration, "registration_declined", reason=reason, had_seat=had_seat
            )
            if had_seat:
                waitlist.request_promotion(registration.event_id)
            declined += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return declined


def _registrations(ids: Iterable[int]) -> list[Registration]:
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Registration).where(Registration.id.in_(ids)).order_by(Registration.created_at)
        )
    )
