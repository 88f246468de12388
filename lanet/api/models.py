"""Stored responses of POST requests that carried an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lanet.core.types import UTCDateTime, utcnow
from lanet.extensions import db


class IdempotencyKey(db.Model):
    """One client key: the request it was first used with and, once done, the response.

    `scope` is 'token:<id>' for an authenticated client and 'anonymous' otherwise, so two
    clients never see each other's responses by choosing the same key.
    """

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None]
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    # NULL while the first request is still being handled.
    response_status: Mapped[int | None]
    response_body: Mapped[dict | list | None] = mapped_column(JSON, info={"personal": True})
    response_headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
