"""The audit log: who changed what, when. Written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from lanet.accounts.models import AuditEntry
from lanet.extensions import db


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
) -> AuditEntry:
    """Adds an audit entry to the session; it commits (or rolls back) with the change itself."""
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
    db.session.add(entry)
    return entry
