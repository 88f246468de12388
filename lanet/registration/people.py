"""Finding and creating the people and institutions registrations and nominations name.

An email address is not an identity (DESIGN rule 9): a returning address keeps its stored
details, whatever the form says, so typing someone's address rewrites nothing of theirs.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

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


def _person_and_country(email: str, country_code: str | None) -> tuple[Person | None, bool]:
    """(the person with this address, whether the country exists) in one round trip: the
    country's row LEFT JOINed with the person (issue 16: one lookup per registration)."""
    if not country_code:
        return find_person(email), False
    row = db.session.execute(
        select(Country.code, Person)
        .select_from(Country)
        .outerjoin(Person, Person.email == email)
        .where(Country.code == country_code)
    ).first()
    if row is None:  # no such country: the person may still be a returning one
        return find_person(email), False
    return row.Person, True


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
    person, country_known = _person_and_country(email, country_code)
    if person is not None:
        return person, True
    if country_code and not country_known:
        raise RegistrationError(str(_l("Choose a country from the list.")), "country")
    institution = institution_for(
        country_code, institution_id, new_institution_name, new_institution_kind
    )
    person = Person(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        country_code=country_code or None,
        institution_id=institution.id if institution else None,
        position=(position or "").strip() or None,
        language=language if language in LANGUAGES else "es",
        consent_data_processing_at=utcnow(),
    )
    db.session.add(person)
    db.session.flush()
    return person, False
