"""Finding and creating the people and institutions registrations and nominations name.

An email address is not an identity (DESIGN rule 9): a returning address keeps its stored
details, whatever the form says, so typing someone's address rewrites nothing of theirs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from lanet.core import rows
from lanet.core.audit import AuditEntry
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail.models import OutboxMessage
from lanet.network.models import LANGUAGES, Country, Institution, InstitutionKind, Person
from lanet.registration.errors import RegistrationError
from lanet.registration.models import Registration


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
    # With a registration in view (`person_for(registering_for=…)`): whether the person of
    # the address is registered for that event already, and the ids drawn for the rows.
    registered: bool | None = None
    ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Found:
    """What `person_for` found or made."""

    person: Person
    returning: bool
    # Whether a returning person is registered for `registering_for` already (None: not
    # asked, or a newcomer).
    registered: bool | None = None
    # Ids drawn for the rows of the registration (PostgreSQL, `registering_for`): the
    # person's when new (then left unwritten, for the caller to write with the others),
    # then the registration's, its audit entry's and its email's. Empty when none were drawn.
    ids: tuple[int, ...] = ()


_EMAIL = bindparam("lookup_email", type_=String)
_COUNTRY = bindparam("lookup_country", type_=String)
_NAME = bindparam("lookup_name", type_=String)
_EVENT = bindparam("lookup_event", type_=Integer)
_CHOSEN = bindparam("lookup_institution", type_=Integer)

# The tables whose ids a registration's lookup draws, in `Found.ids` order after the person.
_REGISTRATION_ROWS = (Registration.__table__, AuditEntry.__table__, OutboxMessage.__table__)


@functools.cache
def _lookup_statement(with_name: bool, registering: bool = False):
    """The country's row LEFT JOINed with the person of the address and, when a name was
    typed, the institution of that country with that name: one round trip for what a
    registration looks up (issue 16). Built once, with bound parameters.

    `registering` (PostgreSQL): the same statement also says whether the person is
    registered for the event already, and draws the ids of the rows the registration will
    write (`rows.next_id`) when it will write them: not for a person registered already, nor
    for an institution chosen from the list that does not exist (the only refusals left after
    this lookup), so no id is spent on a registration refused. The caller then writes its
    rows together, in one statement (`rows.insert_all`)."""
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
    if registering:
        registered = exists().where(
            Registration.person_id == Person.id, Registration.event_id == _EVENT
        )
        # An alias: not correlated with the typed institution's join.
        listed = Institution.__table__.alias("listed_institution")
        chosen_ok = or_(_CHOSEN.is_(None), exists().where(listed.c.id == _CHOSEN))
        will_write = and_(~registered, chosen_ok)

        def drawn(table, condition, label):
            # An uncorrelated subquery is evaluated once, and only when the CASE needs it.
            return case((condition, select(rows.next_id(table, "id")).scalar_subquery())).label(
                label
            )

        query = query.add_columns(
            registered.label("registered"),
            drawn(Person.__table__, and_(Person.id.is_(None), chosen_ok), "draw_person"),
            *(
                drawn(table, will_write, f"draw_{number}")
                for number, table in enumerate(_REGISTRATION_ROWS)
            ),
        )
    return query


def _lookup(
    email: str,
    country_code: str | None,
    name: str,
    registering_for: int | None = None,
    chosen: int | None = None,
) -> _Lookup:
    if not country_code:
        return _Lookup(find_person(email), False)
    params = {"lookup_email": email, "lookup_country": country_code}
    if name:
        params["lookup_name"] = name.lower()
    if registering_for is not None:
        params["lookup_event"] = registering_for
        params["lookup_institution"] = chosen
    statement = _lookup_statement(bool(name), registering_for is not None)
    row = db.session.execute(statement, params).first()
    if row is None:  # no such country: the person may still be a returning one
        return _Lookup(find_person(email), False)
    if registering_for is None:
        return _Lookup(row.Person, True, row.institution_id if name else None)
    drawn = (row.draw_person, *(getattr(row, f"draw_{n}") for n in range(len(_REGISTRATION_ROWS))))
    return _Lookup(
        row.Person,
        True,
        row.institution_id if name else None,
        registered=bool(row.registered),
        ids=tuple(value for value in drawn if value is not None),
    )


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
    registering_for: int | None = None,
) -> Found:
    """The person of the address, found (returning) or made. A returning email keeps its
    stored details: typing someone's address must not let anyone rewrite that person's data.
    `registering_for` (an event id; PostgreSQL only, `rows.writes_together`): the lookup also
    says whether a returning person is registered there already and draws the ids of the
    registration's rows; a new person is then returned unwritten, with its id, for the caller
    to write with those rows (`Found.ids`)."""
    email = normalize_email(email)
    # The typed institution is looked for only when none was chosen from the list.
    name = "" if institution_id else (new_institution_name or "").strip()
    found = _lookup(email, country_code, name, registering_for, institution_id or None)
    if found.person is not None:
        return Found(found.person, True, found.registered, found.ids)
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
    if found.ids:
        person.id = found.ids[0]
        return Found(person, False, None, found.ids[1:])
    # One Core INSERT instead of a flush of the unit of work (lanet/core/rows.py).
    rows.insert_now(person)
    return Found(person, False)
