"""Nominations: a focal point proposes civil servants of their country for an event.

A nomination is an invitation sent by a focal point to a person of their country; the nominee
completes the registration through its personal link. A batch is checked whole before
anything is written (all or nothing, every problem named by row), then committed together.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select

from lanet.accounts.models import RoleName, UserRole
from lanet.core import audit
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.network.models import LANGUAGES, InstitutionKind, Person
from lanet.registration import notifications
from lanet.registration.errors import ImportRejected, RegistrationClosed
from lanet.registration.models import Invitation
from lanet.registration.people import find_person, institution_named, normalize_email
from lanet.registration.queries import already_registered, get_event, registration_is_open


@dataclass
class Nominee:
    first_name: str
    last_name: str
    email: str
    language: str = "es"
    position: str | None = None
    institution_name: str | None = None
    institution_kind: str = InstitutionKind.other_government
    # The line of the file it came from, for error messages; 0 when typed in a form.
    row: int = 0


def nominator_id(invitation: Invitation) -> int | None:
    """An invitation from a focal point to a person of their country is a nomination."""
    if invitation.invited_by_id is None or invitation.person is None:
        return None
    country = invitation.person.country_code
    is_focal_point = db.session.scalar(
        select(
            exists().where(
                UserRole.user_id == invitation.invited_by_id,
                UserRole.role == RoleName.focal_point,
                UserRole.country_code == country,
            )
        )
    )
    return invitation.invited_by_id if is_focal_point else None


def is_nomination(invitation: Invitation) -> bool:
    return nominator_id(invitation) is not None


def nominate(
    event_id: int, country_code: str, nominees: list[Nominee], user_id: int | None
) -> list[Invitation]:
    """A focal point nominates civil servants of their country: all are checked, then written.

    Each nominee gets an email with a personal link to complete the registration.
    """
    event = get_event(event_id)
    if not registration_is_open(event):
        raise RegistrationClosed(str(_l("Registration for this event is not open.")))
    errors = check_nominees(event_id, country_code, nominees)
    if errors:
        raise ImportRejected(errors)
    created: list[Invitation] = []
    try:
        for nominee in nominees:
            person = _nominee_person(nominee, country_code)
            invitation = Invitation(
                event_id=event_id,
                email=person.email,
                person_id=person.id,
                language=person.language,
                invited_by_id=user_id,
                sent_at=utcnow(),
            )
            db.session.add(invitation)
            db.session.flush()
            invitation.person = person
            notifications.send_invitation(invitation, event, "nomination")
            created.append(invitation)
        audit.record(
            "nominations.created",
            "event",
            event_id,
            changes={"country": country_code, "count": len(created)},
            event_id=event_id,
            user_id=user_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return created


def check_nominees(
    event_id: int, country_code: str, nominees: list[Nominee], first_row: int = 1
) -> list[tuple[int, str]]:
    """Every problem with every nominee, by row number, before anything is written."""
    from email_validator import EmailNotValidError, validate_email

    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    invited = set(
        db.session.scalars(select(Invitation.email).where(Invitation.event_id == event_id))
    )
    for offset, nominee in enumerate(nominees):
        row = nominee.row or first_row + offset
        problems: list[str] = []
        if not nominee.first_name.strip() or not nominee.last_name.strip():
            problems.append(str(_l("First and last name are required.")))
        try:
            email = validate_email(nominee.email.strip(), check_deliverability=False).normalized
            email = email.lower()
        except EmailNotValidError:
            email = ""
            problems.append(str(_l("Not a valid email address: %(value)s", value=nominee.email)))
        if nominee.language not in LANGUAGES:
            problems.append(str(_l("Language must be es, pt or en.")))
        too_long = [
            label
            for label, value, limit in (
                ("first_name", nominee.first_name, 120),
                ("last_name", nominee.last_name, 120),
                ("position", nominee.position, 200),
                ("institution", nominee.institution_name, 300),
            )
            if value and len(value.strip()) > limit
        ]
        if too_long:
            problems.append(str(_l("Too long: %(columns)s", columns=", ".join(too_long))))
        if email:
            if email in seen:
                problems.append(str(_l("This address appears twice in the file.")))
            seen.add(email)
            person = find_person(email)
            if person is not None and person.country_code not in (None, country_code):
                problems.append(str(_l("This person belongs to another country.")))
            if person is not None and already_registered(person.id, event_id):
                problems.append(str(_l("This person is already registered for the event.")))
            elif email in invited:
                problems.append(str(_l("This person has already been invited or nominated.")))
        errors.extend((row, problem) for problem in problems)
    return errors


def _nominee_person(nominee: Nominee, country_code: str) -> Person:
    email = normalize_email(nominee.email)
    person = find_person(email)
    institution = None
    if nominee.institution_name and nominee.institution_name.strip():
        institution = institution_named(
            nominee.institution_name.strip(), country_code, nominee.institution_kind
        )
    if person is None:
        person = Person(
            first_name=nominee.first_name.strip(),
            last_name=nominee.last_name.strip(),
            email=email,
            country_code=country_code,
            language=nominee.language,
            position=(nominee.position or "").strip() or None,
            institution_id=institution.id if institution else None,
        )
        db.session.add(person)
        db.session.flush()
        return person
    # A known person keeps their details; only what is missing is filled in.
    person.country_code = person.country_code or country_code
    person.position = person.position or (nominee.position or "").strip() or None
    if person.institution_id is None and institution is not None:
        person.institution_id = institution.id
    return person


def nominations_for_country(country_code: str) -> list[Invitation]:
    """Nominations made for people of a country, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Person, Person.id == Invitation.person_id)
            .join(
                UserRole,
                and_(
                    UserRole.user_id == Invitation.invited_by_id,
                    UserRole.role == RoleName.focal_point,
                    UserRole.country_code == country_code,
                ),
            )
            .where(Person.country_code == country_code)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )
