"""The emails registration sends: confirmations, waiting list, offers, cancellations,
invitations, nominations and the reminder before the event.

Each is an outbox row written in the caller's transaction (`lanet.mail.service.queue_message`),
so it is sent exactly when the change that causes it commits, in the recipient's language,
with the participant's calendar file (iMIP REQUEST or CANCEL) where the change concerns a seat.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lanet.agenda.queries import published_entries
from lanet.calendars import build
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.mail.models import OutboxMessage
from lanet.mail.service import queue_message
from lanet.registration import standing
from lanet.registration.errors import RegistrationError
from lanet.registration.models import Invitation, Registration, RegistrationStatus


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def manage_url(registration: Registration) -> str:
    return f"{_base_url()}/r/{registration.manage_token}"


def invitation_url(invitation: Invitation) -> str:
    return f"{_base_url()}/invitations/{invitation.token}"


def event_context(event: Event, language: str) -> dict:
    """The event's part of an email's context, in `language`."""
    return dict(
        _event_context(
            language,
            event.display_title(language),
            event.start_date,
            event.end_date,
            event.date_precision,
            event.venue,
            event.display_city(language),
            event.country.name(language) if event.country else "",
            event.starts_at,
            event.ends_at,
            event.timezone,
            f"{_base_url()}/events/{event.slug}",
        )
    )


@functools.lru_cache(maxsize=512)
def _event_context(
    language: str,
    title: str,
    start_date,
    end_date,
    date_precision: str,
    venue: str | None,
    city: str | None,
    country: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    timezone: str,
    url: str,
) -> tuple[tuple[str, str], ...]:
    """Formatted once per process for each distinct set of the values shown: every
    registration of an event asks for the same text, and switching the locale to format it
    (`force_locale`) was ~5 % of a registration's CPU (issue 16). A pure function of its
    arguments (and of Babel's locale data), so an edited event is formatted anew."""
    from lanet.core.web import format_date_range, format_in_zone

    with force_locale(language):
        dates = format_date_range(start_date, end_date, date_precision)
        place = ", ".join(p for p in (venue, city, country) if p)
        times = ""
        if starts_at and ends_at:
            times = (
                f"{format_in_zone(starts_at, timezone)} – "
                f"{format_in_zone(ends_at, timezone)} ({timezone})"
            )
    return (
        ("event_title", title),
        ("event_dates", dates),
        ("event_times", times),
        ("event_place", place),
        ("event_url", url),
    )


def format_deadline(moment: datetime, event: Event, language: str) -> str:
    from lanet.core.web import format_in_zone

    with force_locale(language):
        return f"{format_in_zone(moment, event.timezone)} ({event.timezone})"


def personal_calendar_bytes(
    registration: Registration, language: str, method: str | None = None
) -> bytes:
    # The downloaded file carries the published agenda; an iMIP message only the event.
    agenda = published_entries(registration.event_id) if method is None else ()
    return build.registration_calendar(registration, language, method, agenda=agenda)


def personal_calendar(registration_id: int, language: str) -> bytes:
    """The participant's .ics file, as downloaded from the private link."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise RegistrationError(str(_l("This registration does not exist.")))
    return personal_calendar_bytes(registration, language)


# The outbox context key naming the registration whose confirmation calendar the mail worker
# builds when it renders the message (hooks.py answers `signals.message_calendar`).
CALENDAR_REGISTRATION = "calendar_registration_id"


def confirmation_calendar(registration: Registration, language: str | None = None) -> bytes:
    """The calendar a confirmation carries, built as if the seat were taken (PARTSTAT
    ACCEPTED) whatever the registration's status is now."""
    status = registration.status
    # no_autoflush: the status set for the attendee's PARTSTAT must never reach the database.
    with db.session.no_autoflush:
        registration.status = RegistrationStatus.confirmed
        try:
            return personal_calendar_bytes(
                registration, language or registration.person.language, "REQUEST"
            )
        finally:
            registration.status = status


def deferred_calendar(context: dict, language: str) -> bytes | None:
    """The confirmation calendar of a message queued with `CALENDAR_REGISTRATION` in its
    context, built by the mail worker; None when the registration is gone (erased)."""
    registration_id = (context or {}).get(CALENDAR_REGISTRATION)
    if not registration_id:
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        return None
    return confirmation_calendar(registration, language)


def load_deferred_calendars(messages: list) -> list[Registration]:
    """Loads, in one query, the registrations whose confirmation calendars `messages` (outbox
    rows) will ask `deferred_calendar` for; the caller keeps the list while rendering."""
    ids = {
        registration_id
        for message in messages
        if message.calendar_method
        and message.calendar_ics is None
        and (registration_id := (message.context or {}).get(CALENDAR_REGISTRATION))
    }
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.id.in_(ids))
            .options(
                joinedload(Registration.person),
                joinedload(Registration.event).joinedload(Event.country),
            )
        ).unique()
    )


def send(
    registration: Registration,
    template: str,
    calendar: bytes | None = None,
    *,
    waiting: standing.Waiting | None = None,
    now: bool = False,
    unwritten: bool = False,
    **extra,
) -> OutboxMessage | None:
    """Queues the registrant's email; None when the person has no address. `waiting`: where
    a waitlisted registrant stands, when the caller already knows it. `now`: the outbox row
    is written at once; `unwritten`: by the caller, with its other rows (`queue_message`)."""
    person, event = registration.person, registration.event
    if not person.email:
        return None
    language = person.language
    context = {
        "first_name": person.first_name,
        "full_name": person.full_name,
        "manage_url": manage_url(registration),
        "status": registration.status,
        **event_context(event, language),
        **extra,
    }
    if template == "registration_waitlisted":
        # Why and where in line, as it is now: rendered later in the registrant's language.
        waiting = waiting or standing.waiting(registration)
        if waiting is not None:
            context.update(waiting.as_context())
    calendar_ics = None
    calendar_method = None
    deferred = False
    if template == "registration_confirmed" and calendar is None:
        # The request only names the registration; the mail worker builds the calendar when it
        # renders the message (~10x the cost of the rest of a registration, issue 16).
        context[CALENDAR_REGISTRATION] = registration.id
        deferred = True
    elif template in {"registration_confirmed", "reminder_event"}:
        calendar_ics = calendar or personal_calendar_bytes(registration, language, "REQUEST")
        calendar_method = "REQUEST"
    elif template in {"registration_cancelled", "registration_declined"} and (
        extra.get("had_seat")
    ):
        calendar_ics = personal_calendar_bytes(registration, language, method="CANCEL")
        calendar_method = "CANCEL"
    message = queue_message(
        to=person.email,
        name=person.full_name,
        template=template,
        language=language,
        context=context,
        event_id=event.id,
        calendar_ics=calendar_ics,
        calendar_method=calendar_method,
        calendar_later=deferred,  # the bytes come when the worker renders the message
        now=now,
        unwritten=unwritten,
    )
    return message


def send_invitation(
    invitation: Invitation, event: Event, template: str, contexts: dict | None = None
) -> None:
    """Queues an invitation, nomination or invitation reminder with its personal link.
    `contexts` keeps the event's part of the message per language across many sends."""
    person = invitation.person
    if contexts is None:
        contexts = {}
    if invitation.language not in contexts:
        contexts[invitation.language] = event_context(event, invitation.language)
    queue_message(
        to=invitation.email,
        name=person.full_name if person else None,
        template=template,
        language=invitation.language,
        context={
            "first_name": person.first_name if person else "",
            "invitation_url": invitation_url(invitation),
            **contexts[invitation.language],
        },
        event_id=event.id,
    )


# --- Reminders before the event --------------------------------------------------------------


def reminder_days() -> int:
    return current_app.config["REGISTRATION_REMINDER_DAYS"]


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
            send(registration, "reminder_event")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(due)
