"""Reading users, people and the audit log for the Secretariat's pages."""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lanet.accounts.models import User
from lanet.core import signals
from lanet.core.audit import AuditEntry
from lanet.extensions import db
from lanet.network.models import Country

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    object_type: str | None = None
    event_id: int | None = None
    user_id: int | None = None


def audit_page(filters: AuditFilters, page: int) -> Pagination:
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if filters.object_type:
        statement = statement.where(AuditEntry.object_type == filters.object_type)
    if filters.event_id:
        statement = statement.where(AuditEntry.event_id == filters.event_id)
    if filters.user_id:
        statement = statement.where(AuditEntry.user_id == filters.user_id)
    return db.paginate(statement, page=page, per_page=AUDIT_PAGE_SIZE, error_out=False)


def audit_object_types() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
        )
    )


def audit_events() -> list:
    """The events the audit log names, by title (the events feature hands them over)."""
    ids = select(AuditEntry.event_id).where(AuditEntry.event_id.is_not(None)).distinct()
    return list(signals.collect_events(list(db.session.scalars(ids))).values())


def users_by_id(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def all_users() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.roles), selectinload(User.person))
            .order_by(User.email)
        )
    )


def event_choices(language: str) -> list[tuple[int, str]]:
    """The event picker's entries, titled in the reader's language where a title is given."""
    events = sorted(
        signals.collect_events(None).values(), key=lambda e: (e.start_date, e.id), reverse=True
    )
    return [(e.id, f"{e.display_title(language)} ({e.start_date.year})") for e in events]


def country_choices(language: str) -> list[tuple[str, str]]:
    countries = db.session.scalars(select(Country).order_by(Country.code))
    return sorted(((c.code, c.name(language)) for c in countries), key=lambda pair: pair[1])
