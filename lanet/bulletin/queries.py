"""Reading the bulletin's data for pages, the feed and the API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lanet.bulletin.contacts import member_count
from lanet.bulletin.models import (
    Bulletin,
    BulletinSend,
    BulletinStatus,
    Contact,
    DistributionList,
)
from lanet.extensions import db
from lanet.network.models import Country

PAGE_SIZE = 50


def bulletins() -> list[Bulletin]:
    return list(
        db.session.scalars(
            select(Bulletin).order_by(Bulletin.period_start.desc(), Bulletin.id.desc())
        )
    )


def published() -> list[Bulletin]:
    return list(
        db.session.scalars(
            select(Bulletin)
            .where(Bulletin.status == BulletinStatus.published)
            .order_by(Bulletin.published_at.desc(), Bulletin.id.desc())
        )
    )


def published_one(bulletin_id: int) -> Bulletin | None:
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None or bulletin.status != BulletinStatus.published:
        return None
    return bulletin


def sends_of(bulletin_id: int) -> list[BulletinSend]:
    return list(
        db.session.scalars(
            select(BulletinSend)
            .where(BulletinSend.bulletin_id == bulletin_id)
            .order_by(BulletinSend.id)
        )
    )


@dataclass(frozen=True)
class ListRow:
    distribution_list: DistributionList
    members: int


def lists() -> list[ListRow]:
    return [
        ListRow(d, member_count(d))
        for d in db.session.scalars(select(DistributionList).order_by(DistributionList.name))
    ]


@dataclass(frozen=True)
class ContactFilters:
    country: str | None = None
    kind: str | None = None
    status: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class ContactPage:
    items: list[Contact]
    total: int
    page: int
    pages: int


def contacts_page(filters: ContactFilters, page: int = 1) -> ContactPage:
    query = select(Contact)
    if filters.country:
        query = query.where(Contact.country_code == filters.country)
    if filters.kind:
        query = query.where(Contact.kind == filters.kind)
    if filters.status:
        query = query.where(Contact.status == filters.status)
    if filters.text:
        pattern = f"%{filters.text.lower()}%"
        query = query.where(
            func.lower(Contact.email).like(pattern) | func.lower(Contact.name).like(pattern)
        )
    total = int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = list(
        db.session.scalars(
            query.order_by(Contact.email).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        )
    )
    return ContactPage(items=items, total=total, page=page, pages=pages)


def status_counts() -> dict[str, int]:
    return dict(
        db.session.execute(select(Contact.status, func.count()).group_by(Contact.status)).all()
    )


def countries() -> list[Country]:
    return list(db.session.scalars(select(Country).order_by(Country.name_en)))
