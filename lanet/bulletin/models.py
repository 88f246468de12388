"""Contacts, distribution lists, bulletins, and each send's deliveries."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db
from lanet.mail.models import OutboxMessage
from lanet.network.models import Country

LANGUAGES = ("es", "pt", "en")


class ContactKind(enum.StrEnum):
    # Ministers, vice-ministers, ambassadors.
    authority = "authority"
    focal_point = "focal_point"
    partner = "partner"
    subscriber = "subscriber"


class ContactStatus(enum.StrEnum):
    # A public subscription waiting for its confirmation link (double opt-in).
    pending = "pending"
    active = "active"
    unsubscribed = "unsubscribed"


class ConsentSource(enum.StrEnum):
    subscription = "subscription"  # confirmed through the emailed link
    import_ = "import"  # a staff CSV import, with the date the file states or the import's
    staff = "staff"  # typed in by the Secretariat


class Contact(db.Model):
    """Someone who receives the bulletin without necessarily taking part in events."""

    __tablename__ = "bulletin_contacts"
    __table_args__ = (
        enum_check("kind", ContactKind, "kind"),
        enum_check("status", ContactStatus, "status"),
        CheckConstraint("language IN ('es', 'pt', 'en')", name="language"),
        CheckConstraint(
            "consent_source IS NULL OR consent_source IN ('subscription', 'import', 'staff')",
            name="consent_source",
        ),
        # Who receives mail has consented, with a date.
        CheckConstraint("status != 'active' OR consent_at IS NOT NULL", name="active_consented"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(250), default="")
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    institution: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="es")
    kind: Mapped[str] = mapped_column(String(16), default=ContactKind.subscriber, index=True)
    status: Mapped[str] = mapped_column(String(16), default=ContactStatus.pending, index=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_source: Mapped[str | None] = mapped_column(String(16))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    country: Mapped[Country | None] = relationship()


class DistributionList(db.Model):
    """A saved choice of contacts: by country, by kind, or everyone (empty means all)."""

    __tablename__ = "bulletin_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    countries: Mapped[list] = mapped_column(JSON, default=list)
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BulletinStatus(enum.StrEnum):
    compiling = "compiling"  # a worker is writing the draft
    draft = "draft"
    published = "published"  # sent to a list at least once; in the public archive, frozen


class Bulletin(db.Model):
    __tablename__ = "bulletins"
    __table_args__ = (
        enum_check("status", BulletinStatus, "status"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=BulletinStatus.compiling)
    # Per language (es, pt, en): the subject line, the Markdown staff edit, and its
    # sanitized HTML (rendered once when saved).
    titles: Mapped[dict] = mapped_column(JSON, default=dict)
    bodies: Mapped[dict] = mapped_column(JSON, default=dict)
    html: Mapped[dict] = mapped_column(JSON, default=dict)
    # Raised on every edit: the email preview and workers know which text they render.
    version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    compiled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    def title(self, language: str) -> str:
        titles = self.titles or {}
        return titles.get(language) or titles.get("es") or f"#{self.id}"


class SendStatus(enum.StrEnum):
    expanding = "expanding"  # a worker is writing one outbox message per recipient
    queued = "queued"  # every message written; the outbox delivers them


class BulletinSend(db.Model):
    """One bulletin to one list; unique, so a double click cannot send it twice."""

    __tablename__ = "bulletin_sends"
    __table_args__ = (
        UniqueConstraint("bulletin_id", "list_id"),
        enum_check("status", SendStatus, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("bulletin_lists.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SendStatus.expanding)
    # Recipients: the list's active contacts when the send began, then those actually queued.
    total: Mapped[int] = mapped_column(default=0)
    # The last contact id written, so a re-run worker continues where one stopped.
    expanded_through: Mapped[int] = mapped_column(default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    bulletin: Mapped[Bulletin] = relationship()
    distribution_list: Mapped[DistributionList] = relationship()


class DeliveryStatus(enum.StrEnum):
    queued = "queued"  # its outbox message says sent / failed / pending
    skipped = "skipped"  # unsubscribed before its message left


class BulletinDelivery(db.Model):
    """One recipient of one send, and the outbox message that carries it."""

    __tablename__ = "bulletin_deliveries"
    __table_args__ = (
        UniqueConstraint("send_id", "contact_id"),
        # One copy per address and bulletin, whichever lists the address is on.
        UniqueConstraint("bulletin_id", "email"),
        enum_check("status", DeliveryStatus, "status"),
        Index("ix_bulletin_deliveries_contact_status", "contact_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("bulletin_sends.id", ondelete="CASCADE"))
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulletin_contacts.id", ondelete="SET NULL")
    )
    # NULL once the contact is erased; the counts stay.
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.queued)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    outbox_message: Mapped[OutboxMessage | None] = relationship()
