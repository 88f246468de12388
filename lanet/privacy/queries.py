"""Finding people for the Secretariat's export and erasure page."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select

from lanet.extensions import db
from lanet.network.models import Person

PEOPLE_PAGE_SIZE = 50


def people_page(search: str, page: int) -> Pagination:
    statement = select(Person).order_by(Person.last_name, Person.first_name, Person.id)
    words = (search or "").strip().lower()
    if words:
        pattern = f"%{words}%"
        statement = statement.where(
            or_(
                func.lower(Person.first_name + " " + Person.last_name).like(pattern),
                func.lower(Person.email).like(pattern),
            )
        )
    return db.paginate(statement, page=page, per_page=PEOPLE_PAGE_SIZE, error_out=False)
