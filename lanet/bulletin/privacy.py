"""What the bulletin holds about a person, for export and erasure.

A contact is found by the person's email address (contacts need no Person row). Erasing
deletes the contact, takes back its bulletin messages still queued, and blanks the address
in the record of past sends (the counts stay). A person named in a bulletin (a speaker, from
a published agenda) has the name replaced in every bulletin's text.
"""

from __future__ import annotations

from sqlalchemy import select, update

from lanet.bulletin import content
from lanet.bulletin.contacts import withdraw_queued
from lanet.bulletin.models import Bulletin, BulletinDelivery, Contact
from lanet.core.personal_data import PersonalData, declare, not_personal
from lanet.extensions import db
from lanet.network.models import Person

ERASED_NAME = "[erased]"


def _contact(person: Person) -> Contact | None:
    if not person.email:
        return None
    return db.session.scalar(select(Contact).where(Contact.email == person.email.lower()))


def _names(person: Person) -> list[str]:
    # A full name only: a first or last name alone would blank unrelated words.
    name = " ".join(person.full_name.split())
    return [name] if len(name) > 4 and " " in name else []


def _mentioning(names: list[str]) -> list[Bulletin]:
    if not names:
        return []
    found = []
    for bulletin in db.session.scalars(select(Bulletin).order_by(Bulletin.id)):
        texts = [*(bulletin.titles or {}).values(), *(bulletin.bodies or {}).values()]
        if any(name in text for name in names for text in texts):
            found.append(bulletin)
    return found


def export(person: Person) -> dict:
    contact = _contact(person)
    deliveries = []
    if contact is not None:
        deliveries = [
            {
                "bulletin_id": d.bulletin_id,
                "language": d.language,
                "status": d.status,
                "queued_at": d.created_at.isoformat(),
            }
            for d in db.session.scalars(
                select(BulletinDelivery)
                .where(BulletinDelivery.contact_id == contact.id)
                .order_by(BulletinDelivery.id)
            )
        ]
    return {
        "bulletin_contact": None
        if contact is None
        else {
            "email": contact.email,
            "name": contact.name,
            "country_code": contact.country_code,
            "institution": contact.institution,
            "position": contact.position,
            "language": contact.language,
            "kind": contact.kind,
            "status": contact.status,
            "consent_at": contact.consent_at.isoformat() if contact.consent_at else None,
            "consent_source": contact.consent_source,
            "unsubscribed_at": contact.unsubscribed_at.isoformat()
            if contact.unsubscribed_at
            else None,
        },
        "bulletins_received": deliveries,
        "bulletins_naming_the_person": [b.id for b in _mentioning(_names(person))],
    }


def erase(person: Person) -> None:
    """Deletes the person's contact and blanks their name in bulletins; the caller commits."""
    contact = _contact(person)
    if contact is not None:
        withdraw_queued(contact.id)
        db.session.execute(
            update(BulletinDelivery)
            .where(BulletinDelivery.contact_id == contact.id)
            .values(email=None, contact_id=None)
            .execution_options(synchronize_session=False)
        )
        db.session.delete(contact)
    names = _names(person)
    for bulletin in _mentioning(names):
        titles, bodies = dict(bulletin.titles or {}), dict(bulletin.bodies or {})
        for name in names:
            titles = {k: v.replace(name, ERASED_NAME) for k, v in titles.items()}
            bodies = {k: v.replace(name, ERASED_NAME) for k, v in bodies.items()}
        bulletin.titles = titles
        bulletin.bodies = bodies
        bulletin.html = {k: content.to_html(v) for k, v in bodies.items()}
        bulletin.version += 1
    db.session.flush()


declare(
    PersonalData(
        name="bulletin.contacts",
        columns={
            "bulletin_contacts": ["email", "name", "position", "institution"],
            "bulletin_deliveries": ["email"],
            "bulletins": ["titles", "bodies", "html"],
        },
        export=export,
        erase=erase,
        description="the person as a contact (deleted), past sends (address blanked), and "
        "their name in bulletins' text",
    )
)
not_personal(
    "bulletin_lists",
    ["name", "countries", "kinds"],
    "a distribution list's name and its filters (countries, kinds of contact)",
)
