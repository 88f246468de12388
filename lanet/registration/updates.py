"""Registrants hear of every change to their event: a message in their language carrying an
iMIP part (RFC 6047) with the event's UID and raised SEQUENCE, so their calendar follows.

Called from registration/hooks.py when events and agendas announce changes; the outbox rows
commit (or roll back) with the change itself.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lanet.calendars import build
from lanet.events.models import Event
from lanet.extensions import db
from lanet.mail.service import queue_message
from lanet.network.models import LANGUAGES, Person
from lanet.registration.models import Registration, RegistrationStatus


def confirmed_registrations(event_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.confirmed,
            )
            .options(selectinload(Registration.person).selectinload(Person.country))
            .order_by(Registration.id)
        )
    )


def registrants_to_notify(event_id: int) -> list[Registration]:
    """Confirmed and waitlisted registrations: everyone a move or a cancellation concerns."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_(
                    (RegistrationStatus.confirmed, RegistrationStatus.waitlisted)
                ),
            )
            .options(selectinload(Registration.person).selectinload(Person.country))
            .order_by(Registration.id)
        )
    )


def notify_registrants(
    event: Event,
    template: str,
    context: dict,
    *,
    method: str = "REQUEST",
    include_waitlisted: bool = False,
) -> int:
    """One outbox message per confirmed (and, for moves and cancellations, waitlisted)
    registrant, in their language, with an iMIP part that carries the event's UID and its
    (already raised) SEQUENCE."""
    count = 0
    base_url = current_app.config["BASE_URL"]
    recipients = (
        registrants_to_notify(event.id) if include_waitlisted else confirmed_registrations(event.id)
    )
    for registration in recipients:
        person = registration.person
        if person is None or not person.email:
            continue
        language = person.language if person.language in LANGUAGES else "es"
        ics = build.registration_calendar(registration, language, method=method)
        queue_message(
            to=person.email,
            name=person.full_name,
            template=template,
            language=language,
            event_id=event.id,
            calendar_ics=ics,
            calendar_method=method,
            context={
                **context,
                **_per_language(event, context, language),
                "event_title": event.display_title(language),
                "event_url": f"{base_url}/events/{event.slug}",
                "agenda_url": f"{base_url}/events/{event.slug}/agenda",
                "timezone": event.timezone,
                "sequence": event.sequence,
                "first_name": person.first_name,
            },
        )
        count += 1
    return count


def _per_language(event: Event, context: dict, language: str) -> dict:
    """What differs by recipient language: the cancellation reason, what a move changed."""
    extra: dict = {}
    if event.cancellation_reason:
        extra["reason"] = event.display_cancellation_reason(language)
    if context.get("moved") and context.get("before"):
        extra["what_changed"] = what_changed(event, context["before"], language)
    return extra


def what_changed(event: Event, before: dict, language: str) -> list[str]:
    """Readable lines, in the recipient's language and the event's time zone: was → now."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from lanet.core.web import format_date_range

    lines: list[str] = []
    try:
        old_start = date.fromisoformat(before["start_date"])
        old_end = date.fromisoformat(before["end_date"])
    except (KeyError, TypeError, ValueError):
        return lines
    zone = ZoneInfo(event.timezone)

    def times(values) -> str:
        if not all(values):
            return "—"
        first, last = (
            (datetime.fromisoformat(v) if isinstance(v, str) else v).astimezone(zone)
            for v in values
        )
        return f"{first:%H:%M}–{last:%H:%M}"

    with force_locale(language):
        was = format_date_range(old_start, old_end, "day")
        now = format_date_range(event.start_date, event.end_date, "day")
        if was != now:
            lines.append(_("Dates: %(was)s → %(now)s", was=was, now=now))
        old_times = times([before.get("starts_at"), before.get("ends_at")])
        new_times = times([event.starts_at, event.ends_at])
        if old_times != new_times:
            lines.append(
                _("Times (%(zone)s): %(was)s → %(now)s", zone=event.timezone,
                  was=old_times, now=new_times)
            )  # fmt: skip
    return lines
