"""Registrations and invitations."""

from __future__ import annotations

import enum
import hmac
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core import tokens
from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration import count_triggers


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
        # The organizers' list, a page at a time in order of arrival (queries.registrations_page).
        Index("ix_registrations_event_arrival", "event_id", "created_at", "id"),
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


class ImportJobKind(enum.StrEnum):
    invitations = "invitations"


class ImportJobStatus(enum.StrEnum):
    queued = "queued"  # validated and stored; waiting for a worker
    running = "running"  # a worker has processed some of its rows
    done = "done"  # every row processed (some may have failed, each with its reason)
    failed = "failed"  # stopped as a whole (the event is gone); its reason in `error`


class ImportRowStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"  # the invitation is written and its email queued in the outbox
    skipped = "skipped"  # already invited, registered, declined or cancelled: `reason`
    failed = "failed"  # this row alone could not be sent: `reason`


class ImportJob(db.Model):
    """A bulk send an organizer asked for (a CSV file of invitations, a long list of
    addresses): validated whole in the request, then processed by a worker in chunks, each
    chunk one transaction, its counts kept here for the progress page."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        enum_check("kind", ImportJobKind, "kind"),
        enum_check("status", ImportJobStatus, "status"),
        CheckConstraint(
            "processed = sent + skipped + failed AND processed <= total", name="counts"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=ImportJobKind.invitations)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where it came from: "csv" (the page's upload), "typed" (the page's list), "api", "api-csv".
    source: Mapped[str] = mapped_column(String(16), default="csv")
    status: Mapped[str] = mapped_column(String(16), default=ImportJobStatus.queued, index=True)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    sent: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # Why the job as a whole stopped (status failed); never a person's data.
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Moved by every chunk: the relay re-dispatches a queued or running job left still.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in (ImportJobStatus.done, ImportJobStatus.failed)


class ImportJobRow(db.Model):
    """One validated row of a job, by its line number in the file (or position in the list);
    its outcome is written in the same transaction as the invitation it causes, so a re-run
    after a crash never processes a row twice."""

    __tablename__ = "import_job_rows"
    __table_args__ = (
        UniqueConstraint("job_id", "row_number"),
        enum_check("status", ImportRowStatus, "status"),
        CheckConstraint("language IN ('es', 'pt', 'en')", name="language"),
        Index("ix_import_job_rows_job_status", "job_id", "status", "row_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column()
    email: Mapped[str] = mapped_column(String(254), index=True, info={"personal": True})
    language: Mapped[str] = mapped_column(String(2), default="es")
    status: Mapped[str] = mapped_column(String(16), default=ImportRowStatus.pending)
    # A skip reason's code (registered, declined, cancelled, invited) or a failure's message.
    reason: Mapped[str | None] = mapped_column(String(500))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )


class RegistrationCount(db.Model):
    """How many registrations an event has with a status, from a country and an institution
    (its person's), for the organizers' page: a key's number is the sum of its rows. Written
    only by the database's triggers (count_triggers.py) on every change of a registration or
    of a person's country or institution; never by the application."""

    __tablename__ = "registration_counts"
    __table_args__ = (
        # A trigger finds its key's rows through it; the page reads an event's rows.
        Index("ix_registration_counts_key", "event_id", "status", "country_code", "institution_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    # The person's, as the organizers' totals group them (no foreign key: a count is kept
    # under the value its people had, whatever happens to the country or institution row).
    country_code: Mapped[str | None] = mapped_column(String(2))
    institution_id: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)


@sa_event.listens_for(db.metadata, "after_create")
def _install_count_triggers(_metadata, connection, **_kwargs) -> None:
    # `db.create_all()` (tests, benchmarks) builds what the migrations build: the triggers too.
    if RegistrationCount.__table__.name in _metadata.tables:
        count_triggers.install(connection)
