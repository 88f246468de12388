"""Users, roles and tokens."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lanet.core.types import UTCDateTime, enum_check, utcnow
from lanet.extensions import db
from lanet.network.models import Person


class RoleName(enum.StrEnum):
    staff = "staff"
    organizer = "organizer"
    focal_point = "focal_point"


class TokenPurpose(enum.StrEnum):
    password_reset = "password_reset"
    account_invitation = "account_invitation"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info={"personal": True})
    # Argon2 hash; NULL until the user has chosen a password through an invitation link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.active

    @property
    def session_stamp(self) -> str:
        """Changes with the password: sessions signed in before a new password stop working."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    def get_id(self) -> str:  # what Flask-Login keeps in the session
        return f"{self.id}.{self.session_stamp}"


class UserRole(db.Model):
    """A role, scoped to an event (organizer) or a country (focal point); staff is unscoped."""

    __tablename__ = "user_roles"
    __table_args__ = (
        enum_check("role", RoleName, "role"),
        CheckConstraint(
            "(role = 'staff' AND event_id IS NULL AND country_code IS NULL)"
            " OR (role = 'organizer' AND event_id IS NOT NULL AND country_code IS NULL)"
            " OR (role = 'focal_point' AND country_code IS NOT NULL AND event_id IS NULL)",
            name="scope_matches_role",
        ),
        UniqueConstraint("user_id", "role", "event_id", "country_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))

    user: Mapped[User] = relationship(back_populates="roles")


class UserToken(db.Model):
    """A one-time link token (password reset, account invitation); only its hash is kept."""

    __tablename__ = "user_tokens"
    __table_args__ = (enum_check("purpose", TokenPurpose, "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A token stops working at this instant; None means until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
