"""Registrants hear of every change to their event: a message in their language carrying an
iMIP part (RFC 6047) with the event's UID and raised SEQUENCE, so their calendar follows.

Called from registration/hooks.py when events and agendas announce changes; the outbox rows
commit (or roll back) with the change itself.
"""

from __future__ import annotations

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


def notify_registrants(
    event: Event, template: str, context: dict, *, method: str = "REQUEST"
) -> int:
    """One outbox message per confirmed registrant, in their language, with an iMIP part that
    carries the event's UID and its (already raised) SEQUENCE."""
    count = 0
    base_url = current_app.config["BASE_URL"]
    for registration in confirmed_registrations(event.id):
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
