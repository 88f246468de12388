"""Finding and creating the people and institutions registrations and nominations name.

An email address is not an identity (DESIGN rule 9): a returning address keeps its stored
details, whatever the form says, so typing someone's address rewrites nothing of theirs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from lanet.core import rows
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.network.models import LANGUAGES, Country, Institution, InstitutionKind, Person
from lanet.registration.errors import RegistrationError


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_person(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == normalize_email(email)))


def institution_for(
    country_code: str | None,
    institution_id: int | None = None,
    new_name: str | None = None,
    new_kind: str | None = None,
) -> Institution | None:
    """The institution chosen from the list, else the one typed in (found or created)."""
    if institution_id:
        institution = db.session.get(Institution, institution_id)
        if institution is None:
            raise RegistrationError(str(_l("Choose an institution from the list.")), "institution")
        return institution
    name = (new_name or "").strip()
    if not name:
        return None
    return institution_named(name, country_code, new_kind or "other_government")


def institution_named(name: str, country_code: str | None, kind: str) -> Institution:
    institution = _find_institution(name, country_code)
    if institution is not None:
        return institution
    if kind not in InstitutionKind.__members__:
        kind = InstitutionKind.other_government
    try:
        # Colleagues of one ministry often register at the same moment: one insert wins.
        with db.session.begin_nested():
            institution = Institution(name=name[:300], country_code=country_code, kind=kind)
            db.session.add(institution)
    except IntegrityError:
        institution = _find_institution(name, country_code)
        if institution is None:
            raise
    return institution


def _find_institution(name: str, country_code: str | None) -> Institution | None:
    return db.session.scalar(
        select(Institution).where(
            func.lower(Institution.name) == name.lower(),
            Institution.country_code.is_(None)
            if country_code is None
            else Institution.country_code == country_code,
        )
    )


@dataclass(frozen=True)
class _Lookup:
    person: Person | None
    country_known: bool
    # The id of the institution of that country with the typed name, if there is one.
    institution_id: int | None = None


_EMAIL = bindparam("lookup_email", type_=String)
_COUNTRY = bindparam("lookup_country", type_=String)
_NAME = bindparam("lookup_name", type_=String)


@functools.cache
def _lookup_statement(with_name: bool):
    """The country's row LEFT JOINed with the person of the address and, when a name was
    typed, the institution of that country with that name: one round trip for what a
    registration looks up (issue 16). Built once, with bound parameters."""
    query = (
        select(Country.code, Person)
        .select_from(Country)
        .outerjoin(Person, Person.email == _EMAIL)
        .where(Country.code == _COUNTRY)
    )
    if with_name:
        query = query.add_columns(Institution.id.label("institution_id")).outerjoin(
            Institution,
            and_(func.lower(Institution.name) == _NAME, Institution.country_code == Country.code),
        )
    return query


def _lookup(email: str, country_code: str | None, name: str) -> _Lookup:
    if not country_code:
        return _Lookup(find_person(email), False)
    params = {"lookup_email": email, "lookup_country": country_code}
    if name:
        params["lookup_name"] = name.lower()
    row = db.session.execute(_lookup_statement(bool(name)), params).first()
    if row is None:  # no such country: the person may still be a returning one
        return _Lookup(find_person(email), False)
    return _Lookup(row.Person, True, row.institution_id if name else None)


def person_for(
    *,
    email: str,
    first_name: str,
    last_name: str,
    country_code: str | None,
    language: str,
    position: str | None = None,
    institution_id: int | None = None,
    new_institution_name: str | None = None,
    new_institution_kind: str | None = None,
) -> tuple[Person, bool]:
    """(person, returning). A returning email keeps its stored details: typing someone's
    address must not let anyone rewrite that person's data."""
    email = normalize_email(email)
    # The typed institution is looked for only when none was chosen from the list.
    name = "" if institution_id else (new_institution_name or "").strip()
    found = _lookup(email, country_code, name)
    if found.person is not None:
        return found.person, True
    if country_code and not found.country_known:
        raise RegistrationError(str(_l("Choose a country from the list.")), "country")
    if found.institution_id is not None:
        chosen = found.institution_id
    else:
        institution = institution_for(
            country_code, institution_id, new_institution_name, new_institution_kind
        )
        chosen = institution.id if institution else None
    person = Person(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        country_code=country_code or None,
        institution_id=chosen,
        position=(position or "").strip() or None,
        language=language if language in LANGUAGES else "es",
        consent_data_processing_at=utcnow(),
    )
    # One Core INSERT instead of a flush of the unit of work (lanet/core/rows.py).
    rows.insert_now(person)
    return person, False
