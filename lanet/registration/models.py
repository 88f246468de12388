"""Registrations and invitations."""

from __future__ import annotations

import enum
import hmac
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core import tokens
from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Person


class KeyedLink:
    """A row reached by a secret link, kept without the link (lanet/core/tokens.py).

    The row stores a random nonce and the SHA-256 of its token; the token itself is rebuilt
    from the nonce and TOKEN_KEY whenever an email needs the link. A new row gets its nonce
    when constructed; `renew_link` gives it another (the old link stops working).
    """

    TOKEN_PURPOSE: ClassVar[str]

    token_nonce: Mapped[str] = mapped_column(String(32))
    # sha256(token), hex: what a presented link is looked up by.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # sha256 of the link the row had before its last re-key (the 0011 migration, a key
    # rotation), so a link already emailed keeps working; None once renewed.
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.token_nonce is None:
            self.renew_link()

    @property
    def link_token(self) -> str:
        """The secret of this row's link under the current key (never stored)."""
        return tokens.token_for(self.TOKEN_PURPOSE, self.token_nonce)

    def renew_link(self) -> str:
        """A new nonce: the old link (and any previous one) stops working. Returns the token."""
        self.token_nonce = tokens.new_nonce()
        token = self.link_token
        self.token_hash = tokens.digest(token)
        self.previous_token_hash = None
        return token

    def rehash_link(self) -> bool:
        """After a TOKEN_KEY rotation: the hash of the link under the new key; the link
        emailed under the old key keeps working through `previous_token_hash`. False when
        the hash was already current."""
        current = tokens.digest(self.link_token)
        if hmac.compare_digest(current, self.token_hash):
            return False
        self.previous_token_hash = self.token_hash
        self.token_hash = current
        return True

    def opened_by(self, presented: str) -> bool:
        """Whether `presented` is this row's link (found by its hash; constant time)."""
        presented_hash = tokens.presented_digest(presented)
        if presented_hash is None:
            return False
        if hmac.compare_digest(presented_hash, self.token_hash):
            # The hash alone could have been written by someone without the key.
            return tokens.matches(self.TOKEN_PURPOSE, self.token_nonce, presented)
        previous = self.previous_token_hash or ""
        return bool(previous) and hmac.compare_digest(presented_hash, previous)


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


class Registration(KeyedLink, db.Model):
    TOKEN_PURPOSE = tokens.REGISTRATION
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

    @property
    def manage_token(self) -> str:
        """The secret of the private link `/r/<manage_token>`, rebuilt from the key."""
        return self.link_token


class Invitation(KeyedLink, db.Model):
    TOKEN_PURPOSE = tokens.INVITATION
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
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def token(self) -> str:
        """The secret of the invitation link `/invitations/<token>`, rebuilt from the key."""
        return self.link_token
