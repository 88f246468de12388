"""The audit log: who changed what, when. Written in the same transaction as the change.

Every feature records here, so the model and `record` live in core (the table is unchanged).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lanet.core import rows
from lanet.core.types import UTCDateTime, utcnow
from lanet.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who acted when no user did: 'participant link', 'worker', 'cli'…
    actor: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    # Personal fields are blanked here when a person is erased.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)


def _acting_user_id() -> int | None:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return None


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    changes: dict[str, Any] | None = None,
    event_id: int | None = None,
    person_id: int | None = None,
    user_id: int | None = None,
    actor: str | None = None,
    now: bool = False,
    unwritten: bool = False,
) -> AuditEntry:
    """Adds an audit entry to the session; it commits (or rolls back) with the change itself.
    `now`: the row is written at once by one Core INSERT instead of by the next flush (the
    same row, the same transaction; lanet/core/rows.py, for a hot path's CPU). `unwritten`:
    the entry is only built; the caller writes it with its other rows (`rows.insert_all`)."""
    entry = AuditEntry(
        user_id=user_id if user_id is not None else _acting_user_id(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        event_id=event_id,
        person_id=person_id,
        changes=changes or {},
    )
    if unwritten:
        return entry
    if now:
        return rows.insert_now(entry)
    db.session.add(entry)
    return entry
