"""Attendance: one row per registration and day of the event."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db
from lanet.registration.models import Registration


class CheckInMethod(enum.StrEnum):
    qr = "qr"
    manual = "manual"
    import_ = "import"


class Attendance(db.Model):
    __tablename__ = "attendance"
    # A second scan the same day finds this row instead of counting twice.
    __table_args__ = (
        UniqueConstraint("registration_id", "day"),
        enum_check("method", CheckInMethod, "method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    method: Mapped[str] = mapped_column(String(8), default=CheckInMethod.manual)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    registration: Mapped[Registration] = relationship()
