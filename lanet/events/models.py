"""Series, cycles and events."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db
from lanet.network.models import Country, Institution


class EventKind(enum.StrEnum):
    lemkin_seminar = "lemkin_seminar"
    focal_points_meeting = "focal_points_meeting"
    national_seminar = "national_seminar"
    workshop = "workshop"
    course = "course"
    conference = "conference"
    side_event = "side_event"
    videoconference = "videoconference"
    network_meeting = "network_meeting"
    international_meeting = "international_meeting"


class EventStatus(enum.StrEnum):
    planned = "planned"
    open = "open"
    closed = "closed"
    held = "held"
    cancelled = "cancelled"


class DatePrecision(enum.StrEnum):
    """How much of the date is known: 'time' events have start/end times of day."""

    time = "time"
    day = "day"
    month = "month"
    half_year = "half-year"
    year = "year"


class AttendanceMode(enum.StrEnum):
    in_person = "in_person"
    online = "online"
    hybrid = "hybrid"


class PartnerRole(enum.StrEnum):
    organizer = "organizer"
    collaborator = "collaborator"
    supporter = "supporter"
    funder = "funder"


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    parts_per_cycle: Mapped[int] = mapped_column(default=2)

    cycles: Mapped[list[Cycle]] = relationship(back_populates="series", order_by="Cycle.number")

    def name(self, language: str) -> str:
        names = self.name_translations or {}
        return names.get(language) or names.get("en") or self.code


class Cycle(db.Model):
    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("series_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    number: Mapped[int]

    series: Mapped[Series] = relationship(back_populates="cycles")
    parts: Mapped[list[Event]] = relationship(back_populates="cycle", order_by="Event.part_number")


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        enum_check("kind", EventKind, "kind"),
        enum_check("status", EventStatus, "status"),
        enum_check("date_precision", DatePrecision, "date_precision"),
        enum_check("attendance_mode", AttendanceMode, "attendance_mode"),
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at >= starts_at", name="times_in_order"
        ),
        CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL"
            " OR registration_closes_at >= registration_opens_at",
            name="registration_window_in_order",
        ),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "seats_confirmed >= 0 AND (capacity IS NULL OR seats_confirmed <= capacity)",
            name="seats_within_capacity",
        ),
        CheckConstraint(
            "quota_seats >= 0 AND quota_seats_confirmed >= 0"
            " AND quota_seats_confirmed <= quota_seats",
            name="quota_seats_within_quotas",
        ),
        CheckConstraint(
            "(cycle_id IS NULL AND part_number IS NULL)"
            " OR (cycle_id IS NOT NULL AND part_number >= 1)",
            name="part_of_cycle",
        ),
        UniqueConstraint("cycle_id", "part_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # Titles in es/pt/en where the organizers gave them; `title` is the fallback.
    title_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str | None] = mapped_column(Text)
    # Description and audience in es/pt/en where given; the plain columns are the fallback.
    description_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    audience_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    attendance_mode: Mapped[str] = mapped_column(String(16), default=AttendanceMode.in_person)
    # The join link of an online or hybrid event: shown only to confirmed participants.
    online_url: Mapped[str | None] = mapped_column(String(500))
    # Why the event was cancelled, in es/pt/en (what registrants and the public read).
    cancellation_reason: Mapped[dict | None] = mapped_column(JSON)
    venue: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    city_translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Local dates in the event's timezone: always known, used for listing and all-day entries.
    start_date: Mapped[date] = mapped_column(Date, index=True)
    end_date: Mapped[date] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(16), default=DatePrecision.day)
    # Exact instants, only when times of day are known (date_precision == 'time').
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.planned, index=True)
    is_public: Mapped[bool] = mapped_column(default=True)
    languages: Mapped[str] = mapped_column(String(20), default="es")
    capacity: Mapped[int | None]
    # Confirmed seats, moved only by a conditional UPDATE so the CHECK above can hold.
    seats_confirmed: Mapped[int] = mapped_column(default=0)
    # The quotas' totals (sum of `EventQuota.seats`, sum of their `seats_confirmed`), kept on
    # this row so that the seat step decides on the seats the quotas still reserve from the
    # row it locks, in one statement (registration/seats.py). `seats` follows the quotas
    # through the ORM (the listeners below); `seats_confirmed` moves with the quota counters,
    # in the same statements, under this row's lock.
    quota_seats: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    quota_seats_confirmed: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    requires_approval: Mapped[bool] = mapped_column(default=False)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    # Invitation reminders to those who have not answered, in days before registration
    # closes ("7,2"); beat sends them. None: reminders only from the organizer's button.
    reminder_days: Mapped[str | None] = mapped_column(String(40))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"), index=True)
    part_number: Mapped[int | None]
    # iCalendar SEQUENCE of the event entry; raised on every published change.
    sequence: Mapped[int] = mapped_column(default=0)
    agenda_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    country: Mapped[Country | None] = relationship()
    cycle: Mapped[Cycle | None] = relationship(back_populates="parts")
    quotas: Mapped[list[EventQuota]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventQuota.country_code"
    )
    partners: Mapped[list[EventPartner]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventPartner.id"
    )

    def display_title(self, language: str) -> str:
        return (self.title_translations or {}).get(language) or self.title

    def display_description(self, language: str) -> str | None:
        return (self.description_translations or {}).get(language) or self.description

    def display_city(self, language: str) -> str | None:
        return (self.city_translations or {}).get(language) or self.city

    def display_audience(self, language: str) -> str | None:
        return (self.audience_translations or {}).get(language) or self.audience

    def display_cancellation_reason(self, language: str) -> str | None:
        reasons = self.cancellation_reason or {}
        return reasons.get(language) or reasons.get("en") or next(iter(reasons.values()), None)

    @property
    def reminder_schedule(self) -> list[int]:
        """The reminder days, largest first; malformed parts are ignored."""
        parts = (self.reminder_days or "").replace(" ", "").split(",")
        days = {int(p) for p in parts if p.isascii() and p.isdigit()}
        return sorted({d for d in days if 0 < d <= 365}, reverse=True)

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class EventQuota(db.Model):
    """Seats reserved for one country; confirmed seats are counted under the same lock."""

    __tablename__ = "event_quotas"
    __table_args__ = (
        UniqueConstraint("event_id", "country_code"),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        CheckConstraint(
            "seats_confirmed >= 0 AND seats_confirmed <= seats", name="seats_within_quota"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    seats: Mapped[int]
    seats_confirmed: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="quotas")
    country: Mapped[Country] = relationship()


class EventPartner(db.Model):
    """Organizing, collaborating, supporting and funding organizations of an event."""

    __tablename__ = "event_partners"
    __table_args__ = (
        UniqueConstraint("event_id", "institution_id", "role"),
        enum_check("role", PartnerRole, "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    role: Mapped[str] = mapped_column(String(16))

    event: Mapped[Event] = relationship(back_populates="partners")
    institution: Mapped[Institution] = relationship()


# The event's quota totals follow its quota rows wherever the ORM writes them (event editing,
# the seed, fixtures and benchmarks that build an event with its quotas): after a quota row is
# inserted, updated or deleted, the event's totals are summed again from the database, in the
# same flush (under the event's lock where editing holds it). The seat step and the seat
# release move the counters in SQL instead, the event's total in the same statement as the
# quota's counter (registration/seats.py).


def _sum_quota_totals(_mapper, connection, quota: EventQuota) -> None:
    quotas = EventQuota.__table__
    events = Event.__table__

    def total(column):
        return (
            select(func.coalesce(func.sum(column), 0))
            .where(quotas.c.event_id == events.c.id)
            .scalar_subquery()
        )

    connection.execute(
        update(events)
        .where(events.c.id == quota.event_id)
        .values(
            quota_seats=total(quotas.c.seats),
            quota_seats_confirmed=total(quotas.c.seats_confirmed),
        )
    )


for _write in ("after_insert", "after_update", "after_delete"):
    sa_event.listen(EventQuota, _write, _sum_quota_totals)
