"""Page-number pagination over a total order, so that no item is seen twice or skipped."""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, func, select

from lanet.extensions import db

MAX_PER_PAGE = 100


class PageArgs(ma.Schema):
    page = ma.fields.Integer(
        load_default=1, validate=ma.validate.Range(min=1, max=100_000), metadata={"example": 1}
    )
    per_page = ma.fields.Integer(
        load_default=25,
        validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"example": 25},
    )


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The envelope of one page: its items and where it stands among all pages."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
            "pages": ma.fields.Integer(required=True),
        },
        name=name,
    )


def _envelope(items: Sequence[Any], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {
        "items": list(items),
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": ceil(total / per_page) if total else 0,
    }


def paginate_list(items: Sequence[Any], page: int, per_page: int) -> dict[str, Any]:
    """A page of a list already in its final, total order."""
    start = (page - 1) * per_page
    return _envelope(items[start : start + per_page], page, per_page, len(items))


def paginate_query(query: Select, page: int, per_page: int) -> dict[str, Any]:
    """A page of a SELECT that must end its ORDER BY with a unique column (the id)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return _envelope(rows, page, per_page, total or 0)
