"""Where a registration stands, said truthfully: why it waits (the event is full, the seats
reserved for its country are taken, the open seats are taken while the rest stay reserved for
countries with quotas, or others wait first), its place on the waiting list, and the seats
still free for each country. Reading only."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, func, or_, select

from lanet.core.types import UTCDateTime
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Country, Person
from lanet.registration import seats
from lanet.registration.models import Registration, RegistrationStatus

# Why a registration waits.
EVENT_FULL = "event_full"
QUOTA_FULL = "quota_full"
OPEN_SEATS_TAKEN = "open_seats_taken"
QUEUE = "queue"


@dataclass(frozen=True)
class Waiting:
    reason: str
    position: int
    # The country whose reserved seats are taken (QUOTA_FULL), names in es/pt/en.
    country_names: dict[str, str] | None = None

    def as_context(self) -> dict:
        """For an email's JSON context: the worker renders it in the recipient's language."""
        return {
            "wait_reason": self.reason,
            "wait_position": self.position,
            "wait_country": self.country_names or {},
        }


def _country_names(code: str | None) -> dict[str, str] | None:
    country = db.session.get(Country, code) if code else None
    if country is None:
        return None
    return {"es": country.name_es, "pt": country.name_pt, "en": country.name_en}


def reason(registration: Registration, look: seats.Look | None = None) -> str:
    """Why a person of this registration's country gets no seat now (as `look` saw the
    counters when given: the registration path has just read them)."""
    event_id = registration.event_id
    country = registration.person.country_code
    if look is not None:
        capacity, taken, event_quotas = look.capacity, look.taken, look.quotas
    else:
        capacity, taken = db.session.execute(
            select(Event.capacity, Event.seats_confirmed).where(Event.id == event_id)
        ).one()
        event_quotas = seats.quotas(event_id)
    if country in event_quotas:
        quota_seats, used = event_quotas[country]
        if used >= quota_seats:
            return QUOTA_FULL
    if capacity is not None and taken >= capacity:
        return EVENT_FULL
    if (
        capacity is not None
        and country not in event_quotas
        and taken + seats.reserved_seats(event_quotas) >= capacity
    ):
        return OPEN_SEATS_TAKEN
    return QUEUE


# The place-in-line statement is built once per shape, with bound parameters, as the seat
# statements are (seats.py): building it for each waitlisted newcomer cost more CPU than
# running it.
_ID = bindparam("standing_id", type_=Integer)
_WAITLISTED_AT = bindparam("standing_waitlisted_at", type_=UTCDateTime())


@functools.cache
def _position_statement(with_country: bool, with_id: bool, with_time: bool):
    event_id, same_pool = seats.pool_statement_parts(with_country)
    ahead = [
        Registration.event_id == event_id,
        Registration.status == RegistrationStatus.waitlisted,
        Registration.offer_expires_at.is_(None),
        Registration.person_id == Person.id,
        same_pool,
    ]
    if with_id:
        ahead.append(Registration.id != _ID)
    if with_time:
        ahead.append(
            or_(
                Registration.waitlisted_at < _WAITLISTED_AT,
                and_(Registration.waitlisted_at == _WAITLISTED_AT, Registration.id < _ID),
            )
        )
    return select(func.count()).select_from(Registration).where(*ahead)


def position(registration: Registration) -> int:
    """1 for the first in line for the same seats (the same country's quota, or the seats
    open to every other country); offers already made are not in the line."""
    country = registration.person.country_code
    params = seats.pool_params(registration.event_id, country)
    params["standing_id"] = registration.id or 0
    params["standing_waitlisted_at"] = registration.waitlisted_at
    statement = _position_statement(
        country is not None, registration.id is not None, registration.waitlisted_at is not None
    )
    return int(db.session.scalar(statement, params) or 0) + 1


def waiting(
    registration: Registration, look: seats.Look | None = None, *, newcomer: bool = False
) -> Waiting | None:
    """The truth for a waitlisted registration without an offer; None otherwise. `newcomer`:
    the registration joins the line now, after the look (`seats.look`) counted it: its place
    is right after those (a registration waitlisted since the look, ahead of it by its time,
    is not counted, as it was not either by `position` a moment later before it committed)."""
    if (
        registration.status != RegistrationStatus.waitlisted
        or registration.offer_expires_at is not None
    ):
        return None
    why = reason(registration, look)
    names = _country_names(registration.person.country_code) if why == QUOTA_FULL else None
    if newcomer and look is not None and look.queue_length is not None:
        return Waiting(why, look.queue_length + 1, names)
    return Waiting(why, position(registration), names)
