"""Reading the outbox for the staff page."""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from lanet.core import signals
from lanet.extensions import db
from lanet.mail.models import OutboxMessage

PAGE_SIZE = 50


@dataclass(frozen=True)
class OutboxFilters:
    status: str | None = None
    event_id: int | None = None
    recipient: str | None = None


def outbox_page(filters: OutboxFilters, page: int) -> Pagination:
    statement = select(OutboxMessage).order_by(
        OutboxMessage.created_at.desc(), OutboxMessage.id.desc()
    )
    if filters.status:
        statement = statement.where(OutboxMessage.status == filters.status)
    if filters.event_id:
        statement = statement.where(OutboxMessage.event_id == filters.event_id)
    if filters.recipient:
        # A part of the address is enough: "gob.ar" finds every Argentine ministry.
        pattern = "%" + filters.recipient.lower().replace("%", r"\%").replace("_", r"\_") + "%"
        statement = statement.where(
            func.lower(OutboxMessage.recipient_email).like(pattern, escape="\\")
        )
    return db.paginate(statement, page=page, per_page=PAGE_SIZE, error_out=False)


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}


def outbox_events() -> list:
    """The events the outbox names, by title (the events feature hands them over)."""
    ids = select(OutboxMessage.event_id).where(OutboxMessage.event_id.is_not(None)).distinct()
    return list(signals.collect_events(list(db.session.scalars(ids))).values())
