"""Registering for events: seats, quotas, the waiting list, approval, invitations, nominations.

The only code that changes registrations. Every public function takes ids and plain values,
commits its own transaction (with the outbox rows and audit entries it causes) and raises a
`RegistrationError` subclass, changing nothing, when the request cannot be honoured.

Seats: `events.seats_confirmed` and `event_quotas.seats_confirmed` count the seats held, by
confirmed registrations and by open waiting-list offers. They only move under the event row
lock (SELECT … FOR UPDATE) and through conditional UPDATEs, and CHECK constraints in the
database keep them within capacity and quota whatever happens here.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lanet.accounts.models import RoleName, User, UserRole
from lanet.core import audit, dispatch
from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.events.models import Event, EventQuota, EventStatus
from lanet.extensions import db
from lanet.mail.models import OutboxMessage
from lanet.mail.service import queue_message
from lanet.network.models import LANGUAGES, Country, Institution, InstitutionKind, Person
from lanet.registration.models import (
    Invitation,
    Registration,
    RegistrationRole,
    RegistrationStatus,
)

DEFAULT_OFFER_HOURS = 48
DEFAULT_REMINDER_DAYS = 3
PROMOTE_TASK = "lanet.registration.promote_waiting_list"


# --- Domain errors ---------------------------------------------------------------------------


class RegistrationError(Exception):
    """A request that cannot be honoured; `field` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class RegistrationClosed(RegistrationError):
    pass


class AlreadyRegistered(RegistrationError):
    pass


class NotAllowed(RegistrationError):
    pass


class ImportRejected(RegistrationError):
    """A file with bad rows: nothing was written. `errors` lists (row number, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(str(_l("The file has errors; nothing was imported.")))
        self.errors = errors


# --- Values passed in ------------------------------------------------------------------------


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
class Invitee:
    email: str
    language: str = "es"


@dataclass
class Nominee:
    first_name: str
    last_name: str
    email: str
    language: str = "es"
    position: str | None = None
    institution_name: str | None = None
    institution_kind: str = InstitutionKind.other_government
    # The line of the file it came from, for error messages; 0 when typed in a form.
    row: int = 0


@dataclass
class InviteResult:
    created: list[Invitation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# --- Small helpers ---------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def manage_url(registration: Registration) -> str:
    return f"{_base_url()}/r/{registration.manage_token}"


def invitation_url(invitation: Invitation) -> str:
    return f"{_base_url()}/invitations/{invitation.token}"


def _request_promotion(event_id: int) -> None:
    """Asks a worker to offer freed seats; the beat sweep catches up if the broker is down."""
    dispatch.send_after_commit(PROMOTE_TASK, event_id)


def seat_lock_enabled() -> bool:
    """The seat lock can be switched off only in tests, to show the race it prevents."""
    config = current_app.config
    if config.get("TESTING") and config.get("REGISTRATION_SEAT_LOCK") is False:
        return False
    return not (
        os.environ.get("LANET_REGISTRATION_SEAT_LOCK") == "0"
        and os.environ.get("LANET_ALLOW_UNSAFE_TEST_SWITCHES") == "1"
    )


def _get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise RegistrationError(str(_l("This event does not exist.")))
    return event


def _registration_by_token(token: str) -> Registration:
    registration = db.session.scalar(
        select(Registration).where(Registration.manage_token == (token or ""))
    )
    if registration is None or not secrets.compare_digest(registration.manage_token, token):
        raise RegistrationError(str(_l("This registration link is not valid.")))
    return registration


def registration_is_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if event.status != EventStatus.open:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    return not (event.registration_closes_at and now > event.registration_closes_at)


def holds_seat(registration: Registration) -> bool:
    return registration.status == RegistrationStatus.confirmed or (
        registration.status == RegistrationStatus.waitlisted
        and registration.offer_expires_at is not None
    )


# --- Seats -----------------------------------------------------------------------------------


def _lock_event(event_id: int) -> tuple[int | None, int]:
    """Takes the event's row lock (held to commit) and reads its counters fresh.

    FOR NO KEY UPDATE: rows inserted with a foreign key to the event (registrations, outbox
    messages) take KEY SHARE locks on it, which a plain FOR UPDATE would wait for: two
    registrations would deadlock. Seat-taking only needs to exclude other seat-takers.
    """
    row = db.session.execute(
        select(Event.capacity, Event.seats_confirmed)
        .where(Event.id == event_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()
    return row.capacity, row.seats_confirmed


def _quotas(event_id: int) -> dict[str, tuple[int, int]]:
    rows = db.session.execute(
        select(EventQuota.country_code, EventQuota.seats, EventQuota.seats_confirmed).where(
            EventQuota.event_id == event_id
        )
    )
    return {code: (seats, taken) for code, seats, taken in rows}


def _pool_filter(country_code: str | None, quota_countries: Iterable[str]):
    """The waiting-list entries competing for the same seats as a person of this country."""
    quota_countries = list(quota_countries)
    if country_code in quota_countries:
        return Person.country_code == country_code
    if not quota_countries:
        return True
    return or_(Person.country_code.is_(None), Person.country_code.not_in(quota_countries))


def _queue_ahead(event_id: int, country_code: str | None, quotas: dict) -> bool:
    """Whether someone waits, without an offer, for the seat this newcomer would take."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Registration.event_id == event_id,
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_(None),
                    Registration.person_id == Person.id,
                    _pool_filter(country_code, quotas),
                )
            )
        )
    )


def _take_seat(
    event_id: int, country_code: str | None, *, respect_queue: bool = True
) -> tuple[bool, str | None]:
    """(seat taken, quota country it counts against). Call inside the caller's transaction."""
    capacity, taken = _lock_event(event_id)
    quotas = _quotas(event_id)
    if respect_queue and _queue_ahead(event_id, country_code, quotas):
        return False, None
    if capacity is not None and taken >= capacity:
        return False, None
    quota_country = country_code if country_code in quotas else None
    if quota_country:
        seats, quota_taken = quotas[quota_country]
        if quota_taken >= seats:
            return False, None
    elif capacity is not None:
        # Seats of quotas not yet filled stay reserved for their countries.
        reserved = sum(max(seats - used, 0) for seats, used in quotas.values())
        if taken + reserved >= capacity:
            return False, None
    # Under the lock both updates succeed; the conditions guard against counters that
    # drifted, and the CHECK constraints against everything else.
    if not _increment_event(event_id):
        return False, None
    if quota_country and not _increment_quota(event_id, quota_country):
        _release_seat(event_id, None)
        return False, None
    return True, quota_country


def _increment_event(event_id: int) -> bool:
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
        )
        .values(seats_confirmed=Event.seats_confirmed + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _increment_quota(event_id: int, country_code: str) -> bool:
    result = db.session.execute(
        update(EventQuota)
        .where(
            EventQuota.event_id == event_id,
            EventQuota.country_code == country_code,
            EventQuota.seats_confirmed < EventQuota.seats,
        )
        .values(seats_confirmed=EventQuota.seats_confirmed + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_seat(event_id: int, quota_country: str | None) -> None:
    db.session.execute(
        update(Event)
        .where(Event.id == event_id, Event.seats_confirmed > 0)
        .values(seats_confirmed=Event.seats_confirmed - 1)
        .execution_options(synchronize_session=False)
    )
    if quota_country:
        db.session.execute(
            update(EventQuota)
            .where(
                EventQuota.event_id == event_id,
                EventQuota.country_code == quota_country,
                EventQuota.seats_confirmed > 0,
            )
            .values(seats_confirmed=EventQuota.seats_confirmed - 1)
            .execution_options(synchronize_session=False)
        )


@dataclass
class _NaiveVerdict:
    """What the unlocked control path read before writing (tests only)."""

    free: bool
    quota_country: str | None
    event_count: int
    quota_count: int


def _naive_check(event: Event, country_code: str | None) -> _NaiveVerdict:
    """Read-count-then-write, without a lock: the race the seat lock exists to prevent."""
    confirmed = Registration.status == RegistrationStatus.confirmed
    count = db.session.scalar(
        select(func.count()).where(Registration.event_id == event.id, confirmed)
    )
    quotas = {q.country_code: q.seats for q in event.quotas}
    quota_country = country_code if country_code in quotas else None
    quota_count = 0
    free = event.capacity is None or count < event.capacity
    if quota_country:
        quota_count = db.session.scalar(
            select(func.count()).where(
                Registration.event_id == event.id,
                confirmed,
                Registration.seat_country_code == quota_country,
            )
        )
        free = free and quota_count < quotas[quota_country]
    return _NaiveVerdict(free, quota_country, count, quota_count)


def _naive_write(event_id: int, verdict: _NaiveVerdict) -> None:
    db.session.execute(
        update(Event).where(Event.id == event_id).values(seats_confirmed=verdict.event_count + 1)
    )
    if verdict.quota_country:
        db.session.execute(
            update(EventQuota)
            .where(
                EventQuota.event_id == event_id,
                EventQuota.country_code == verdict.quota_country,
            )
            .values(seats_confirmed=verdict.quota_count + 1)
        )


# --- People and institutions -----------------------------------------------------------------


def find_person(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == normalize_email(email)))


def _institution_for(applicant: Applicant) -> Institution | None:
    if applicant.institution_id:
        institution = db.session.get(Institution, applicant.institution_id)
        if institution is None:
            raise RegistrationError(str(_l("Choose an institution from the list.")), "institution")
        return institution
    name = (applicant.new_institution_name or "").strip()
    if not name:
        return None
    return _institution_named(
        name, applicant.country_code, applicant.new_institution_kind or "other_government"
    )


def _institution_named(name: str, country_code: str | None, kind: str) -> Institution:
    institution = _find_institution(name, country_code)
    if institution is not None:
        return institution
    if kind not in InstitutionKind.__members__:
        kind = InstitutionKind.other_government
    try:
        # Colleagues of one ministry often register at the same moment: one insert wins.
        with db.session.begin_nested():
            institution = Institution(name=name[:300], country_code=country_code, kind=kind)
            db.session.add(institution)
    except IntegrityError:
        institution = _find_institution(name, country_code)
        if institution is None:
            raise
    return institution


def _find_institution(name: str, country_code: str | None) -> Institution | None:
    return db.session.scalar(
        select(Institution).where(
            func.lower(Institution.name) == name.lower(),
            Institution.country_code.is_(None)
            if country_code is None
            else Institution.country_code == country_code,
        )
    )


def _person_for(applicant: Applicant) -> tuple[Person, bool]:
    """(person, returning). A returning email keeps its stored details: typing someone's
    address must not let anyone rewrite that person's data."""
    email = normalize_email(applicant.email)
    person = find_person(email)
    if person is not None:
        return person, True
    if applicant.country_code and db.session.get(Country, applicant.country_code) is None:
        raise RegistrationError(str(_l("Choose a country from the list.")), "country")
    institution = _institution_for(applicant)
    person = Person(
        first_name=applicant.first_name.strip(),
        last_name=applicant.last_name.strip(),
        email=email,
        country_code=applicant.country_code or None,
        institution_id=institution.id if institution else None,
        position=(applicant.position or "").strip() or None,
        language=applicant.language if applicant.language in LANGUAGES else "es",
        consent_data_processing_at=utcnow(),
    )
    db.session.add(person)
    db.session.flush()
    return person, False


# --- Emails ----------------------------------------------------------------------------------


def _event_context(event: Event, language: str) -> dict:
    from lanet.core.web import format_date_range, format_in_zone

    with force_locale(language):
        dates = format_date_range(event.start_date, event.end_date, event.date_precision)
        country = event.country.name(language) if event.country else ""
        place = ", ".join(p for p in (event.venue, event.city, country) if p)
        times = ""
        if event.starts_at and event.ends_at:
            times = (
                f"{format_in_zone(event.starts_at, event.timezone)} – "
                f"{format_in_zone(event.ends_at, event.timezone)} ({event.timezone})"
            )
    return {
        "event_title": event.display_title(language),
        "event_dates": dates,
        "event_times": times,
        "event_place": place,
        "event_url": f"{_base_url()}/events/{event.slug}",
    }


def _format_deadline(moment: datetime, event: Event, language: str) -> str:
    from lanet.core.web import format_in_zone

    with force_locale(language):
        return f"{format_in_zone(moment, event.timezone)} ({event.timezone})"


def _confirmation_calendar(registration: Registration) -> bytes:
    """The calendar a confirmation would carry, built as if the seat were already taken."""
    status = registration.status
    # no_autoflush: the status set for the attendee's PARTSTAT must never reach the database.
    with db.session.no_autoflush:
        registration.status = RegistrationStatus.confirmed
        try:
            return personal_calendar_bytes(registration, registration.person.language, "REQUEST")
        finally:
            registration.status = status


def _send(
    registration: Registration, template: str, calendar: bytes | None = None, **extra
) -> OutboxMessage | None:
    person, event = registration.person, registration.event
    if not person.email:
        return None
    language = person.language
    context = {
        "first_name": person.first_name,
        "full_name": person.full_name,
        "manage_url": manage_url(registration),
        "status": registration.status,
        **_event_context(event, language),
        **extra,
    }
    calendar_ics = None
    calendar_method = None
    if template in {"registration_confirmed", "reminder_event"}:
        calendar_ics = calendar or personal_calendar_bytes(registration, language, "REQUEST")
        calendar_method = "REQUEST"
    elif template in {"registration_cancelled", "registration_declined"} and (
        extra.get("had_seat")
    ):
        calendar_ics = personal_calendar_bytes(registration, language, method="CANCEL")
        calendar_method = "CANCEL"
    return queue_message(
        to=person.email,
        name=person.full_name,
        template=template,
        language=language,
        context=context,
        event_id=event.id,
        calendar_ics=calendar_ics,
        calendar_method=calendar_method,
    )


def personal_calendar_bytes(
    registration: Registration, language: str, method: str | None = None
) -> bytes:
    from lanet.calendars.build import registration_calendar

    return registration_calendar(registration, language, method)


def personal_calendar(registration_id: int, language: str) -> bytes:
    """The participant's .ics file, as downloaded from the private link."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise RegistrationError(str(_l("This registration does not exist.")))
    return personal_calendar_bytes(registration, language)


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
    event = _get_event(event_id)
    if not registration_is_open(event):
        raise RegistrationClosed(str(_l("Registration for this event is not open.")))
    if not applicant.consent:
        raise RegistrationError(
            str(_l("Registration needs your consent to the processing of your data.")),
            "consent",
        )
    if applicant.role not in RegistrationRole.__members__:
        raise RegistrationError(str(_l("Choose a role from the list.")), "role")
    invitation = _invitation_for(event, invitation_token)
    locked = seat_lock_enabled()
    # The control path for the concurrency test reads the count first, as naive code would.
    verdict = None if locked else _naive_check(event, applicant.country_code)
    try:
        person, returning = _person_for(applicant)
        if returning and _already_registered(person.id, event.id):
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
            manage_token=new_token(),
        )
        if invitation is not None:
            registration.invitation_id = invitation.id
            # The nomination counts only for the person nominated, not for whoever uses the link.
            if invitation.person_id in (None, person.id):
                registration.nominated_by_id = _nominator_id(invitation)
            invitation.accepted_at = invitation.accepted_at or utcnow()
            invitation.person_id = invitation.person_id or person.id
        db.session.add(registration)
        db.session.flush()
        registration.person = person
        registration.event = event
        if event.requires_approval:
            _record_and_send(registration, "registration_pending", returning, actor)
        elif locked:
            _register_seat(registration, returning, actor)
        else:
            template = _seat_or_waitlist_naive(registration, verdict)
            _record_and_send(registration, template, returning, actor)
        db.session.commit()
    except IntegrityError as error:
        # A simultaneous request for the same person and event won the unique constraint.
        db.session.rollback()
        if _already_registered_email(applicant.email, event_id):
            raise AlreadyRegistered(
                str(_l("This email address is already registered for this event.")), "email"
            ) from error
        if find_person(applicant.email) is not None:
            raise _PersonRace() from error
        raise
    except Exception:
        db.session.rollback()
        raise
    return registration


def _already_registered(person_id: int, event_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(Registration.id).where(
                Registration.person_id == person_id, Registration.event_id == event_id
            )
        )
    )


def _already_registered_email(email: str, event_id: int) -> bool:
    person = find_person(email)
    return person is not None and _already_registered(person.id, event_id)


def _record_and_send(
    registration: Registration,
    template: str,
    returning: bool,
    actor: str,
    calendar: bytes | None = None,
) -> tuple[AuditEntry, OutboxMessage | None]:
    entry = audit.record(
        "registration.created",
        "registration",
        registration.id,
        changes={"status": registration.status, "returning": returning},
        event_id=registration.event_id,
        person_id=registration.person_id,
        actor=actor,
    )
    return entry, _send(registration, template, calendar=calendar)


def _register_seat(registration: Registration, returning: bool, actor: str) -> None:
    """Confirms a newcomer when a seat is free, else puts them on the waiting list.

    The event row lock is held from the moment it is taken until the commit, so it is taken
    last: everything a confirmation writes (the registration, its audit entry, the email with
    its calendar file) is flushed first, on the strength of an unlocked look at the counters.
    Under the lock the counters are read again and decide; in the rare case the look was
    wrong, the rows just written are turned into a waiting-list entry. A newcomer for whom the
    look finds no seat is waitlisted without taking the lock at all: a waiting-list entry
    changes no counter, and a seat freed meanwhile is offered by the waiting-list worker.
    """
    country = registration.person.country_code
    likely, quota_country = _seat_looks_free(registration.event_id, country)
    if not likely:
        _apply_seat(registration, False, None)
        _record_and_send(registration, "registration_waitlisted", returning, actor)
        return
    calendar = _confirmation_calendar(registration)
    _apply_seat(registration, True, quota_country)
    entry, message = _record_and_send(
        registration, "registration_confirmed", returning, actor, calendar
    )
    db.session.flush()
    taken, seat_country = _take_seat(registration.event_id, country, respect_queue=False)
    if taken:
        if seat_country != quota_country:
            registration.seat_country_code = seat_country
        return
    registration.confirmed_at = None
    registration.seat_country_code = None
    _apply_seat(registration, False, None)
    entry.changes = {**entry.changes, "status": registration.status}
    if message is not None:
        message.template = "registration_waitlisted"
        message.calendar_ics = None
        message.calendar_method = None
        message.context = {**message.context, "status": registration.status}


def _seat_looks_free(event_id: int, country_code: str | None) -> tuple[bool, str | None]:
    """An unlocked look: (a seat seems free for this country, the quota it would count on)."""
    capacity, taken = db.session.execute(
        select(Event.capacity, Event.seats_confirmed).where(Event.id == event_id)
    ).one()
    quotas = _quotas(event_id)
    quota_country = country_code if country_code in quotas else None
    if _queue_ahead(event_id, country_code, quotas):
        return False, None
    if capacity is not None and taken >= capacity:
        return False, None
    if quota_country:
        seats, used = quotas[quota_country]
        return used < seats, quota_country
    if capacity is None:
        return True, None
    reserved = sum(max(seats - used, 0) for seats, used in quotas.values())
    return taken + reserved < capacity, None


def _seat_or_waitlist(registration: Registration, country_code: str | None) -> str:
    taken, quota_country = _take_seat(registration.event_id, country_code)
    return _apply_seat(registration, taken, quota_country)


def _seat_or_waitlist_naive(registration: Registration, verdict: _NaiveVerdict) -> str:
    if verdict.free:
        _naive_write(registration.event_id, verdict)
    return _apply_seat(registration, verdict.free, verdict.quota_country)


def _apply_seat(registration: Registration, taken: bool, quota_country: str | None) -> str:
    now = utcnow()
    if taken:
        registration.status = RegistrationStatus.confirmed
        registration.seat_country_code = quota_country
        registration.confirmed_at = now
        return "registration_confirmed"
    registration.status = RegistrationStatus.waitlisted
    registration.waitlisted_at = now
    return "registration_waitlisted"


def registration_for_token(token: str) -> Registration:
    return _registration_by_token(token)


@dataclass
class Changes:
    position: str | None = None
    institution_id: int | None = None
    new_institution_name: str | None = None
    new_institution_kind: str | None = None
    language: str | None = None


def change_registration(token: str, changes: Changes) -> Registration:
    """The participant's own changes through the private link (country and email stay)."""
    registration = _registration_by_token(token)
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
            institution = _institution_for(
                Applicant(
                    first_name="",
                    last_name="",
                    email="",
                    country_code=person.country_code,
                    institution_id=changes.institution_id,
                    new_institution_name=changes.new_institution_name,
                    new_institution_kind=changes.new_institution_kind,
                )
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
    registration = _registration_by_token(token)
    return _cancel(registration, actor="participant link")


def cancel_registration_by_id(registration_id: int, user_id: int | None = None) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise RegistrationError(str(_l("This registration does not exist.")))
    return _cancel(registration, actor=None if user_id else "system", user_id=user_id)


def _cancel(registration: Registration, *, actor: str | None, user_id: int | None = None):
    if registration.status in (RegistrationStatus.cancelled, RegistrationStatus.declined):
        raise RegistrationError(str(_l("This registration is already cancelled.")))
    try:
        had_seat = _end(registration, RegistrationStatus.cancelled)
        if had_seat is None:
            raise RegistrationError(str(_l("This registration is already cancelled.")))
        registration.cancelled_at = utcnow()
        audit.record(
            "registration.cancelled",
            "registration",
            registration.id,
            event_id=registration.event_id,
            person_id=registration.person_id,
            actor=actor,
            user_id=user_id,
        )
        _send(registration, "registration_cancelled", had_seat=had_seat)
        if had_seat:
            _request_promotion(registration.event_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return registration


_FINAL = (RegistrationStatus.cancelled, RegistrationStatus.declined)


def _lock_and_refresh(registration: Registration) -> None:
    """Takes the event lock, then rereads the registration: a simultaneous cancel, offer
    expiry or acceptance that committed meanwhile is seen, and never counted twice."""
    _lock_event(registration.event_id)
    db.session.refresh(registration)


def _end(registration: Registration, status: str) -> bool | None:
    """Moves to a final status, giving back the seat it held; True when it held one, None
    when the registration had already ended."""
    _lock_and_refresh(registration)
    if registration.status in _FINAL:
        return None
    had_seat = holds_seat(registration)
    if had_seat:
        _release_seat(registration.event_id, registration.seat_country_code)
    registration.status = status
    registration.seat_country_code = None
    registration.offered_at = None
    registration.offer_expires_at = None
    return had_seat


# --- Approval --------------------------------------------------------------------------------


def approve(registration_ids: Iterable[int], user_id: int | None) -> dict[str, int]:
    """Approves pending registrations in order of arrival; those without a seat wait."""
    counts = {"confirmed": 0, "waitlisted": 0, "skipped": 0}
    try:
        for registration in _registrations(registration_ids):
            _lock_and_refresh(registration)
            if registration.status != RegistrationStatus.pending:
                counts["skipped"] += 1
                continue
            template = _seat_or_waitlist(registration, registration.person.country_code)
            counts[registration.status] += 1
            audit.record(
                "registration.approved",
                "registration",
                registration.id,
                changes={"status": registration.status},
                event_id=registration.event_id,
                person_id=registration.person_id,
                user_id=user_id,
            )
            _send(registration, template)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def decline(registration_ids: Iterable[int], reason: str, user_id: int | None) -> int:
    """Declines registrations with a reason told to the registrant; freed seats pass on."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationError(str(_l("Give a reason for declining.")), "reason")
    declined = 0
    try:
        for registration in _registrations(registration_ids):
            if registration.status in (RegistrationStatus.cancelled, RegistrationStatus.declined):
                continue
            had_seat = _end(registration, RegistrationStatus.declined)
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
            _send(registration, "registration_declined", reason=reason, had_seat=had_seat)
            if had_seat:
                _request_promotion(registration.event_id)
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


# --- The waiting list ------------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    """From the app config, else the environment (REGISTRATION_OFFER_HOURS=24), else default."""
    value = current_app.config.get(name) or os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        return default


def offer_hours() -> int:
    return _setting("REGISTRATION_OFFER_HOURS", DEFAULT_OFFER_HOURS)


def promote_waiting_list(event_id: int, now: datetime | None = None) -> list[int]:
    """Offers free seats to the waiting list in order of arrival, respecting the quotas.

    An offer holds its seat until it is accepted or expires. Returns the registrations offered.
    """
    now = now or utcnow()
    offered: list[int] = []
    try:
        event = _get_event(event_id)
        _lock_event(event_id)
        waiting = list(
            db.session.scalars(
                select(Registration)
                .join(Person, Registration.person_id == Person.id)
                .where(
                    Registration.event_id == event_id,
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_(None),
                )
                .order_by(Registration.waitlisted_at, Registration.id)
            )
        )
        for registration in waiting:
            taken, quota_country = _take_seat(
                event_id, registration.person.country_code, respect_queue=False
            )
            if not taken:
                continue
            registration.seat_country_code = quota_country
            registration.offered_at = now
            registration.offer_expires_at = now + timedelta(hours=offer_hours())
            offered.append(registration.id)
            audit.record(
                "registration.offered",
                "registration",
                registration.id,
                changes={"offer_expires_at": registration.offer_expires_at.isoformat()},
                event_id=event_id,
                person_id=registration.person_id,
                actor="worker",
            )
            _send(
                registration,
                "registration_offer",
                offer_expires=_format_deadline(
                    registration.offer_expires_at, event, registration.person.language
                ),
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offered


def accept_offer(token: str, now: datetime | None = None) -> Registration:
    """The waitlisted participant takes the seat offered to them."""
    now = now or utcnow()
    registration = _registration_by_token(token)
    try:
        # Under the event lock: the offer cannot expire (and its seat pass on) meanwhile.
        _lock_and_refresh(registration)
        if (
            registration.status != RegistrationStatus.waitlisted
            or not registration.offer_expires_at
        ):
            raise RegistrationError(str(_l("There is no seat offer to accept.")))
        if registration.offer_expires_at < now:
            raise RegistrationError(str(_l("This offer has expired.")))
        registration.status = RegistrationStatus.confirmed
        registration.confirmed_at = now
        registration.offered_at = None
        registration.offer_expires_at = None
        audit.record(
            "registration.offer_accepted",
            "registration",
            registration.id,
            event_id=registration.event_id,
            person_id=registration.person_id,
            actor="participant link",
        )
        _send(registration, "registration_confirmed")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return registration


def expire_offers(now: datetime | None = None) -> list[int]:
    """Ends unanswered offers; their seats pass on to the next on the list."""
    now = now or utcnow()
    expired: list[int] = []
    events: set[int] = set()
    try:
        due = list(
            db.session.scalars(
                select(Registration)
                .where(
                    Registration.status == RegistrationStatus.waitlisted,
                    Registration.offer_expires_at.is_not(None),
                    Registration.offer_expires_at < now,
                )
                .order_by(Registration.event_id, Registration.id)
            )
        )
        for registration in due:
            # The event lock first, as everywhere, then the row as it is now.
            _lock_and_refresh(registration)
            still_due = (
                registration.status == RegistrationStatus.waitlisted
                and registration.offer_expires_at is not None
                and registration.offer_expires_at < now
            )
            if not still_due:
                continue
            _end(registration, RegistrationStatus.cancelled)
            registration.cancelled_at = now
            expired.append(registration.id)
            events.add(registration.event_id)
            audit.record(
                "registration.offer_expired",
                "registration",
                registration.id,
                event_id=registration.event_id,
                person_id=registration.person_id,
                actor="worker",
            )
            _send(registration, "registration_offer_expired")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for event_id in sorted(events):
        promote_waiting_list(event_id, now)
    return expired


def events_with_free_seats_and_waiting() -> list[int]:
    """Events where someone waits without an offer: candidates for the periodic sweep."""
    return list(
        db.session.scalars(
            select(Registration.event_id)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == RegistrationStatus.waitlisted,
                Registration.offer_expires_at.is_(None),
                Event.status.in_((EventStatus.open, EventStatus.closed)),
                or_(Event.capacity.is_(None), Event.seats_confirmed < Event.capacity),
            )
            .distinct()
        )
    )


# --- Invitations -----------------------------------------------------------------------------


def _invitation_for(event: Event, token: str | None) -> Invitation | None:
    if not token:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token == token))
    if invitation is None or invitation.event_id != event.id:
        return None
    return invitation


def invitation_for_token(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token == (token or "")))
    if invitation is None:
        raise RegistrationError(str(_l("This invitation link is not valid.")))
    return invitation


def _nominator_id(invitation: Invitation) -> int | None:
    """An invitation from a focal point to a person of their country is a nomination."""
    if invitation.invited_by_id is None or invitation.person is None:
        return None
    country = invitation.person.country_code
    is_focal_point = db.session.scalar(
        select(
            exists().where(
                UserRole.user_id == invitation.invited_by_id,
                UserRole.role == RoleName.focal_point,
                UserRole.country_code == country,
            )
        )
    )
    return invitation.invited_by_id if is_focal_point else None


def is_nomination(invitation: Invitation) -> bool:
    return _nominator_id(invitation) is not None


def parse_email_list(text: str) -> tuple[list[str], list[str]]:
    """(valid addresses, invalid entries) from text separated by commas, semicolons or lines."""
    from email_validator import EmailNotValidError, validate_email

    valid: list[str] = []
    invalid: list[str] = []
    for raw in (text or "").replace(";", "\n").replace(",", "\n").splitlines():
        entry = raw.strip()
        if not entry:
            continue
        try:
            address = validate_email(entry, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            invalid.append(entry)
            continue
        if address not in valid:
            valid.append(address)
    return valid, invalid


def invite(event_id: int, invitees: Iterable[Invitee], user_id: int | None) -> InviteResult:
    """Sends a personal invitation link to each new address; those already invited are skipped."""
    event = _get_event(event_id)
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
            _send_invitation(invitation, event, "invitation")
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


def _send_invitation(invitation: Invitation, event: Event, template: str) -> None:
    person = invitation.person
    queue_message(
        to=invitation.email,
        name=person.full_name if person else None,
        template=template,
        language=invitation.language,
        context={
            "first_name": person.first_name if person else "",
            "invitation_url": invitation_url(invitation),
            **_event_context(event, invitation.language),
        },
        event_id=event.id,
    )


def parse_invitation_csv(text: str) -> list[Invitee]:
    """Rows of `email[,language]`; a header row is allowed. All or nothing."""
    rows = _csv_rows(text)
    invitees: list[Invitee] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, row in rows:
        if number == 1 and row and row[0].strip().lower() in {"email", "correo", "e-mail"}:
            continue
        email_text = row[0].strip() if row else ""
        language = (row[1].strip().lower() if len(row) > 1 else "") or "es"
        valid, _invalid = parse_email_list(email_text)
        if len(valid) != 1:
            errors.append(
                (number, str(_l("Not a valid email address: %(value)s", value=email_text)))
            )
            continue
        if language not in LANGUAGES:
            errors.append((number, str(_l("Language must be es, pt or en."))))
            continue
        if valid[0] in seen:
            errors.append((number, str(_l("This address appears twice in the file."))))
            continue
        seen.add(valid[0])
        invitees.append(Invitee(email=valid[0], language=language))
    if errors:
        raise ImportRejected(errors)
    if not invitees:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    return invitees


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
    from lanet.attendance.models import Attendance

    event = _get_event(event_id)
    if event.cycle_id is None or not event.part_number or event.part_number < 2:
        raise RegistrationError(str(_l("This event is not a later part of a cycle.")))
    first_part = db.session.scalar(
        select(Event.id).where(Event.cycle_id == event.cycle_id, Event.part_number == 1)
    )
    if first_part is None:
        return []
    rows = db.session.execute(
        select(Person.email, Person.language)
        .join(Registration, Registration.person_id == Person.id)
        .where(
            Registration.event_id == first_part,
            Person.email.is_not(None),
            exists().where(Attendance.registration_id == Registration.id),
        )
        .distinct()
        .order_by(Person.email)
    )
    return [Invitee(email=email, language=language) for email, language in rows]


def open_invitation(token: str) -> Invitation:
    invitation = invitation_for_token(token)
    if invitation.opened_at is None:
        invitation.opened_at = utcnow()
        db.session.commit()
    return invitation


def decline_invitation(token: str) -> Invitation:
    invitation = invitation_for_token(token)
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
    event = _get_event(event_id)
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
            _send_invitation(invitation, event, "invitation_reminder")
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


# --- Nominations -----------------------------------------------------------------------------


def nominate(
    event_id: int, country_code: str, nominees: list[Nominee], user_id: int | None
) -> list[Invitation]:
    """A focal point nominates civil servants of their country: all are checked, then written.

    Each nominee gets an email with a personal link to complete the registration.
    """
    event = _get_event(event_id)
    if not registration_is_open(event):
        raise RegistrationClosed(str(_l("Registration for this event is not open.")))
    errors = check_nominees(event_id, country_code, nominees)
    if errors:
        raise ImportRejected(errors)
    created: list[Invitation] = []
    try:
        for nominee in nominees:
            person = _nominee_person(nominee, country_code)
            invitation = Invitation(
                event_id=event_id,
                email=person.email,
                person_id=person.id,
                language=person.language,
                token=new_token(),
                invited_by_id=user_id,
                sent_at=utcnow(),
            )
            db.session.add(invitation)
            db.session.flush()
            invitation.person = person
            _send_invitation(invitation, event, "nomination")
            created.append(invitation)
        audit.record(
            "nominations.created",
            "event",
            event_id,
            changes={"country": country_code, "count": len(created)},
            event_id=event_id,
            user_id=user_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return created


def check_nominees(
    event_id: int, country_code: str, nominees: list[Nominee], first_row: int = 1
) -> list[tuple[int, str]]:
    """Every problem with every nominee, by row number, before anything is written."""
    from email_validator import EmailNotValidError, validate_email

    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    invited = set(
        db.session.scalars(select(Invitation.email).where(Invitation.event_id == event_id))
    )
    for offset, nominee in enumerate(nominees):
        row = nominee.row or first_row + offset
        problems: list[str] = []
        if not nominee.first_name.strip() or not nominee.last_name.strip():
            problems.append(str(_l("First and last name are required.")))
        try:
            email = validate_email(nominee.email.strip(), check_deliverability=False).normalized
            email = email.lower()
        except EmailNotValidError:
            email = ""
            problems.append(str(_l("Not a valid email address: %(value)s", value=nominee.email)))
        if nominee.language not in LANGUAGES:
            problems.append(str(_l("Language must be es, pt or en.")))
        too_long = [
            label
            for label, value, limit in (
                ("first_name", nominee.first_name, 120),
                ("last_name", nominee.last_name, 120),
                ("position", nominee.position, 200),
                ("institution", nominee.institution_name, 300),
            )
            if value and len(value.strip()) > limit
        ]
        if too_long:
            problems.append(str(_l("Too long: %(columns)s", columns=", ".join(too_long))))
        if email:
            if email in seen:
                problems.append(str(_l("This address appears twice in the file.")))
            seen.add(email)
            person = find_person(email)
            if person is not None and person.country_code not in (None, country_code):
                problems.append(str(_l("This person belongs to another country.")))
            if person is not None and _already_registered(person.id, event_id):
                problems.append(str(_l("This person is already registered for the event.")))
            elif email in invited:
                problems.append(str(_l("This person has already been invited or nominated.")))
        errors.extend((row, problem) for problem in problems)
    return errors


def _nominee_person(nominee: Nominee, country_code: str) -> Person:
    email = normalize_email(nominee.email)
    person = find_person(email)
    institution = None
    if nominee.institution_name and nominee.institution_name.strip():
        institution = _institution_named(
            nominee.institution_name.strip(), country_code, nominee.institution_kind
        )
    if person is None:
        person = Person(
            first_name=nominee.first_name.strip(),
            last_name=nominee.last_name.strip(),
            email=email,
            country_code=country_code,
            language=nominee.language,
            position=(nominee.position or "").strip() or None,
            institution_id=institution.id if institution else None,
        )
        db.session.add(person)
        db.session.flush()
        return person
    # A known person keeps their details; only what is missing is filled in.
    person.country_code = person.country_code or country_code
    person.position = person.position or (nominee.position or "").strip() or None
    if person.institution_id is None and institution is not None:
        person.institution_id = institution.id
    return person


NOMINATION_COLUMNS = ("first_name", "last_name", "email", "institution", "position", "language")


def parse_nomination_csv(text: str) -> list[Nominee]:
    """Rows with the columns of NOMINATION_COLUMNS (header required); format errors by row."""
    rows = _csv_rows(text)
    if not rows:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    header = [cell.strip().lower() for cell in rows[0][1]]
    missing = [c for c in ("first_name", "last_name", "email") if c not in header]
    if missing:
        raise ImportRejected(
            [(1, str(_l("Missing columns: %(columns)s", columns=", ".join(missing))))]
        )
    nominees: list[Nominee] = []
    for number, row in rows[1:]:
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        nominees.append(
            Nominee(
                first_name=values.get("first_name", ""),
                last_name=values.get("last_name", ""),
                email=values.get("email", ""),
                language=(values.get("language") or "es").lower(),
                position=values.get("position") or None,
                institution_name=values.get("institution") or None,
                row=number,
            )
        )
    if not nominees:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    return nominees


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty rows with their 1-based line numbers; ';' or ',' separated."""
    import csv
    import io

    text = (text or "").lstrip("\ufeff")
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, row in enumerate(reader, start=1):
            if any(c.strip() for c in row):
                rows.append((number, row))
    except csv.Error as error:  # an overlong field, a stray NUL or carriage return
        raise ImportRejected(
            [(reader.line_num, str(_l("This row cannot be read as CSV: %(error)s", error=error)))]
        ) from error
    return rows


def nominations_for_country(country_code: str) -> list[Invitation]:
    """Nominations made for people of a country, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Person, Person.id == Invitation.person_id)
            .join(
                UserRole,
                and_(
                    UserRole.user_id == Invitation.invited_by_id,
                    UserRole.role == RoleName.focal_point,
                    UserRole.country_code == country_code,
                ),
            )
            .where(Person.country_code == country_code)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


# --- Reminders before the event --------------------------------------------------------------


def reminder_days() -> int:
    return _setting("REGISTRATION_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)


def send_event_reminders(now: datetime | None = None) -> int:
    """Reminds confirmed participants, with the calendar file, N days before the event starts."""
    now = now or utcnow()
    today = now.date()
    horizon = today + timedelta(days=reminder_days())
    due = list(
        db.session.scalars(
            select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == RegistrationStatus.confirmed,
                Registration.reminded_at.is_(None),
                Event.status.in_((EventStatus.open, EventStatus.closed)),
                Event.start_date >= today,
                Event.start_date <= horizon,
            )
            .order_by(Registration.id)
            .with_for_update(skip_locked=True, of=Registration)
        )
    )
    try:
        for registration in due:
            registration.reminded_at = now
            _send(registration, "reminder_event")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(due)
