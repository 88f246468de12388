"""The personal data of the people table: declared for export and erasure (lanet.privacy).

Erasure blanks what identifies the person and keeps what anonymous totals need: the
country, institution and gender stay, so counts per country, institution kind and gender
do not move. It runs last, so every other eraser still sees the name and email.
"""

from __future__ import annotations

from typing import Any

from lanet.core.personal_data import (
    PERSON_ROW_ORDER,
    PersonalData,
    declare,
    iso,
    not_personal,
)
from lanet.core.types import utcnow
from lanet.network.models import Person


def export_person(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "country": person.country_code,
        "institution": person.institution.name if person.institution else None,
        "position": person.position,
        "language": person.language,
        "gender": person.gender,
        "consent_data_processing_at": iso(person.consent_data_processing_at),
        "consent_contact": person.consent_contact,
        "created_at": iso(person.created_at),
        "updated_at": iso(person.updated_at),
        "erased_at": iso(person.erased_at),
    }


def erase_person(person: Person) -> None:
    person.first_name = ""
    person.last_name = ""
    person.email = None
    person.position = None
    person.consent_contact = False
    person.consent_data_processing_at = None
    person.erased_at = utcnow()


declare(
    PersonalData(
        name="network.person",
        columns={
            "people": [
                "first_name",
                "last_name",
                "email",
                "position",
                "gender",
                "consent_contact",
                "consent_data_processing_at",
            ]
        },
        export=export_person,
        erase=erase_person,
        order=PERSON_ROW_ORDER,
        description="name, email, position and consents; gender and country stay for totals",
    )
)
not_personal(
    "institutions",
    ["name", "code"],
    "organizations (ministries, ombudsman's offices, universities), not people",
)
not_personal("countries", ["name_es", "name_pt", "name_en"], "country names")
