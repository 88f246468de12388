"""Agenda items (the organizers' draft) and published agenda versions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db
from lanet.network.models import Person


class AgendaItemKind(enum.StrEnum):
    session = "session"
    module = "module"
    break_ = "break"
    visit = "visit"
    ceremony = "ceremony"


class AgendaItem(db.Model):
    """One item of an event's draft agenda; publishing copies the draft into a version."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        enum_check("kind", AgendaItemKind, "kind"),
        CheckConstraint("ends_at >= starts_at", name="times_in_order"),
        # Ids name items in published versions and calendar UIDs: SQLite must not reuse them.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=AgendaItemKind.session)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    room: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    speakers: Mapped[list[AgendaSpeaker]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="AgendaSpeaker.position"
    )


class AgendaSpeaker(db.Model):
    __tablename__ = "agenda_speakers"
    __table_args__ = (UniqueConstraint("agenda_item_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # The affiliation as announced, which may differ from the person's current institution.
    affiliation: Mapped[str | None] = mapped_column(String(300), info={"personal": True})
    position: Mapped[int] = mapped_column(default=0)

    item: Mapped[AgendaItem] = relationship(back_populates="speakers")
    person: Mapped[Person] = relationship()


class AgendaVersion(db.Model):
    """The public agenda as published: a frozen copy of the draft and what changed."""

    __tablename__ = "agenda_versions"
    __table_args__ = (
        UniqueConstraint("event_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    version: Mapped[int]
    items: Mapped[list] = mapped_column(JSON, default=list)
    changes: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
