"""The outbox: every email and external side effect, written with the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        enum_check("status", OutboxStatus, "status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "calendar_method IS NULL OR calendar_method IN ('REQUEST', 'CANCEL', 'PUBLISH')",
            name="calendar_method",
        ),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable Message-ID header, fixed when the row is written, so a retry is recognisable.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_email: Mapped[str] = mapped_column(String(254), index=True, info={"personal": True})
    recipient_name: Mapped[str | None] = mapped_column(String(250), info={"personal": True})
    language: Mapped[str] = mapped_column(String(2), default="es")
    template: Mapped[str] = mapped_column(String(120))
    context: Mapped[dict] = mapped_column(JSON, default=dict, info={"personal": True})
    # Extra headers of this one message (List-Unsubscribe of a bulletin), name -> value.
    headers: Mapped[dict | None] = mapped_column(JSON)
    calendar_method: Mapped[str | None] = mapped_column(String(8))
    calendar_ics: Mapped[bytes | None] = mapped_column(LargeBinary, info={"personal": True})
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )


class OutboxAttachment(db.Model):
    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
