"""Certificate templates, their images, organizers' decisions, certificates and production runs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.events.models import Cycle, Event
from lanet.extensions import db
from lanet.network.models import Person


class TemplateKind(enum.StrEnum):
    attendance = "attendance"  # of one event
    completion = "completion"  # of every part of a series' cycle


class ImageKind(enum.StrEnum):
    logo = "logo"
    signature = "signature"


class Decision(enum.StrEnum):
    add = "add"
    withhold = "withhold"


class CertificateStatus(enum.StrEnum):
    issued = "issued"
    failed = "failed"
    withdrawn = "withdrawn"


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    finished = "finished"


class CertificateTemplate(db.Model):
    """What an event's (or a cycle's) certificates say; exactly one of event or cycle."""

    __tablename__ = "certificate_templates"
    __table_args__ = (
        enum_check("kind", TemplateKind, "kind"),
        CheckConstraint(
            "(kind = 'attendance' AND event_id IS NOT NULL AND cycle_id IS NULL)"
            " OR (kind = 'completion' AND cycle_id IS NOT NULL AND event_id IS NULL)",
            name="subject_matches_kind",
        ),
        CheckConstraint("min_share >= 0 AND min_share <= 100", name="min_share_percent"),
        CheckConstraint("hours_per_day >= 0 AND hours_per_day <= 24", name="hours_per_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), unique=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"), unique=True)
    # {"es": ..., "pt": ..., "en": ...}; placeholders such as {name} are checked when saved.
    titles: Mapped[dict] = mapped_column(JSON, default=dict)
    bodies: Mapped[dict] = mapped_column(JSON, default=dict)
    issuer: Mapped[str] = mapped_column(String(300))
    # Percent of the event's days attended that earns an attendance certificate.
    min_share: Mapped[int] = mapped_column(default=75)
    hours_per_day: Mapped[int] = mapped_column(default=8)
    # Comma-separated registration roles that may receive one (participant, instructor).
    roles: Mapped[str] = mapped_column(String(60), default="participant,instructor")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event | None] = relationship()
    cycle: Mapped[Cycle | None] = relationship()
    images: Mapped[list[CertificateImage]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="(CertificateImage.kind, CertificateImage.id)",
    )

    @property
    def role_list(self) -> list[str]:
        return [role for role in self.roles.split(",") if role]


class CertificateImage(db.Model):
    """A logo or a signature, validated as a real PNG/JPEG image when uploaded."""

    __tablename__ = "certificate_images"
    __table_args__ = (enum_check("kind", ImageKind, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("certificate_templates.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    content_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    # Signatures only: who signs, and as what.
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_position: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    template: Mapped[CertificateTemplate] = relationship(back_populates="images")


class CertificateDecision(db.Model):
    """An organizer's exception to the attendance rule for one person, with its reason."""

    __tablename__ = "certificate_decisions"
    __table_args__ = (
        UniqueConstraint("template_id", "person_id"),
        enum_check("decision", Decision, "decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("certificate_templates.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship()


class Certificate(db.Model):
    """One person's certificate of one template: at most one, whatever runs twice."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("template_id", "person_id"),
        enum_check("status", CertificateStatus, "status"),
        CheckConstraint("language IN ('es', 'pt', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique (template_id, person_id) pair, whose first column it is.
    template_id: Mapped[int] = mapped_column(ForeignKey("certificate_templates.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # The public verification code: 16 base32 characters from `secrets` (80 bits).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=CertificateStatus.issued)
    language: Mapped[str] = mapped_column(String(2), default="es")
    # What the certificate says, kept as issued: verification shows it even if records change.
    holder_name: Mapped[str] = mapped_column(String(250))
    role: Mapped[str] = mapped_column(String(16))
    days_attended: Mapped[int] = mapped_column(default=0)
    file_key: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    template: Mapped[CertificateTemplate] = relationship()
    person: Mapped[Person | None] = relationship()


class CertificateRun(db.Model):
    """One production request and its progress, shown while workers generate."""

    __tablename__ = "certificate_runs"
    __table_args__ = (
        enum_check("status", RunStatus, "status"),
        Index("ix_certificate_runs_template_id_id", "template_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("certificate_templates.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.queued)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
