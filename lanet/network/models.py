"""Countries, institutions and people of the Network."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db

LANGUAGES = ("es", "pt", "en")


class Membership(enum.StrEnum):
    member = "member"
    candidate = "candidate"
    other = "other"


class InstitutionKind(enum.StrEnum):
    ministry_foreign_affairs = "ministry_foreign_affairs"
    ministry_defense = "ministry_defense"
    ministry_justice = "ministry_justice"
    ombudsman = "ombudsman"
    security_forces = "security_forces"
    other_government = "other_government"
    civil_society = "civil_society"
    academia = "academia"
    international_organization = "international_organization"


class Gender(enum.StrEnum):
    female = "female"
    male = "male"
    other = "other"


class Country(db.Model):
    __tablename__ = "countries"
    __table_args__ = (enum_check("membership", Membership, "membership"),)

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_es: Mapped[str] = mapped_column(String(120))
    name_pt: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    membership: Mapped[str] = mapped_column(String(16), default=Membership.other)

    def name(self, language: str) -> str:
        return getattr(self, f"name_{language}", None) or self.name_en


class Institution(db.Model):
    __tablename__ = "institutions"
    __table_args__ = (
        UniqueConstraint("name", "country_code"),
        enum_check("kind", InstitutionKind, "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short codes (AIPR, OSAPG…) for the organizations the Network works with.
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    kind: Mapped[str] = mapped_column(String(40))

    country: Mapped[Country | None] = relationship()


class Person(db.Model):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("language IN ('es', 'pt', 'en')", name="language"),
        CheckConstraint("gender IS NULL OR gender IN ('female', 'male', 'other')", name="gender"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(120), info={"personal": True})
    last_name: Mapped[str] = mapped_column(String(120), info={"personal": True})
    # Stored lower-cased; NULL once the person has been erased.
    email: Mapped[str | None] = mapped_column(String(254), unique=True, info={"personal": True})
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(200), info={"personal": True})
    language: Mapped[str] = mapped_column(String(2), default="es")
    gender: Mapped[str | None] = mapped_column(String(8), info={"personal": True})
    consent_data_processing_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_contact: Mapped[bool] = mapped_column(default=False)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    country: Mapped[Country | None] = relationship()
    institution: Mapped[Institution | None] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


__all__ = [
    "Country",
    "Gender",
    "Institution",
    "InstitutionKind",
    "LANGUAGES",
    "Membership",
    "Person",
]
