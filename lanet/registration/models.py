"""Registrations and invitations."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Person


def new_token() -> str:
    """The secret of a private link (registration) or personal invitation link."""
    return secrets.token_urlsafe(32)


class RegistrationRole(enum.StrEnum):
    participant = "participant"
    instructor = "instructor"
    speaker = "speaker"
    organizer = "organizer"
    observer = "observer"


class RegistrationStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    declined = "declined"


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("person_id", "event_id"),
        enum_check("role", RegistrationRole, "role"),
        enum_check("status", RegistrationStatus, "status"),
        CheckConstraint(
            "offer_expires_at IS NULL OR status = 'waitlisted'", name="offer_only_when_waitlisted"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=RegistrationRole.participant)
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.pending, index=True)
    # The country whose quota seat this registration holds while confirmed.
    seat_country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    # The secret of the private link; compared in constant time after lookup.
    manage_token: Mapped[str] = mapped_column(String(64), unique=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, info={"personal": True})
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship()
    event: Mapped[Event] = relationship()


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        CheckConstraint("language IN ('es', 'pt', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), info={"personal": True})
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    language: Mapped[str] = mapped_column(String(2), default="es")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()
    person: Mapped[Person | None] = relationship()
