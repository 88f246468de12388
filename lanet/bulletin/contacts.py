"""Contacts and distribution lists: typed in, imported from CSV, or subscribed on the public
site with a confirmation link; unsubscribes take effect at once, queued bulletins included.

Every function here commits its own transaction with its audit entries, or raises a
`ContactError` having written nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, delete, func, select, update

from lanet.bulletin import tokens
from lanet.bulletin.models import (
    LANGUAGES,
    BulletinDelivery,
    ConsentSource,
    Contact,
    ContactKind,
    ContactStatus,
    DeliveryStatus,
    DistributionList,
)
from lanet.core import audit
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail.models import OutboxMessage, OutboxStatus
from lanet.mail.service import queue_message
from lanet.network.models import Country

# The stated limits of one CSV import (also shown on the page).
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 2_000_000
IMPORT_COLUMNS = ("email", "name", "country", "institution", "position", "language", "kind")
IMPORT_OPTIONAL = ("consent_date",)


class ContactError(Exception):
    """A request that cannot be done; `field` names the input at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ImportRejected(ContactError):
    """A file with bad rows: nothing was written. `errors` lists (row number, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(str(_l("The file has errors; nothing was imported.")), "file")
        self.errors = errors


@dataclass
class ContactData:
    email: str
    name: str = ""
    country_code: str | None = None
    institution: str | None = None
    position: str | None = None
    language: str = "es"
    kind: str = ContactKind.subscriber
    consent_at: datetime | None = None
    row: int = 0


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    # Addresses that had unsubscribed stay unsubscribed, whatever the file says.
    kept_unsubscribed: int = 0


# --- checking values ---------------------------------------------------------------------


def normalize_email(value: str) -> str:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ContactError(
            str(_l("Not a valid email address: %(value)s", value=value)), "email"
        ) from error


def _known_countries() -> set[str]:
    return set(db.session.scalars(select(Country.code)))


def check(data: ContactData, countries: set[str] | None = None) -> list[tuple[str, str]]:
    """Every problem with the values, as (field, message); an empty list when all is well."""
    problems: list[tuple[str, str]] = []
    try:
        data.email = normalize_email(data.email)
    except ContactError as error:
        problems.append(("email", error.message))
    data.name = (data.name or "").strip()
    if len(data.name) > 250:
        problems.append(("name", str(_l("The name is too long (250 characters at most)."))))
    code = (data.country_code or "").strip().upper() or None
    data.country_code = code
    if code and code not in (countries if countries is not None else _known_countries()):
        problems.append(("country", str(_l("Unknown country code: %(code)s", code=code))))
    for name, limit in (("institution", 300), ("position", 200)):
        value = (getattr(data, name) or "").strip() or None
        setattr(data, name, value)
        if value and len(value) > limit:
            problems.append(
                (name, str(_l("Too long (%(limit)s characters at most).", limit=limit)))
            )
    data.language = (data.language or "").strip().lower() or "es"
    if data.language not in LANGUAGES:
        problems.append(("language", str(_l("Language must be es, pt or en."))))
    data.kind = (data.kind or "").strip().lower() or ContactKind.subscriber
    if data.kind not in ContactKind.__members__:
        problems.append(
            (
                "kind",
                str(
                    _l(
                        "Kind must be one of: %(kinds)s.",
                        kinds=", ".join(k.value for k in ContactKind),
                    )
                ),
            )
        )
    return problems


def _fail_on(problems: list[tuple[str, str]]) -> None:
    if problems:
        name, message = problems[0]
        raise ContactError(message, name)


# --- staff: one contact --------------------------------------------------------------------


def _by_email(email: str) -> Contact | None:
    return db.session.scalar(select(Contact).where(Contact.email == email))


def create_contact(data: ContactData, user_id: int | None) -> Contact:
    """A contact the Secretariat adds, who has agreed to receive the bulletin (consent now)."""
    _fail_on(check(data))
    if _by_email(data.email) is not None:
        raise ContactError(str(_l("A contact with this address already exists.")), "email")
    now = utcnow()
    contact = Contact(
        email=data.email,
        name=data.name,
        country_code=data.country_code,
        institution=data.institution,
        position=data.position,
        language=data.language,
        kind=data.kind,
        status=ContactStatus.active,
        consent_at=data.consent_at or now,
        consent_source=ConsentSource.staff,
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "bulletin.contact_created",
        "bulletin_contact",
        contact.id,
        changes={"kind": data.kind, "country": data.country_code, "language": data.language},
        user_id=user_id,
    )
    db.session.commit()
    return contact


def get_contact(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise ContactError(str(_l("This contact does not exist.")))
    return contact


# --- CSV import ----------------------------------------------------------------------------


def _consent_date(text: str) -> datetime:
    day = date.fromisoformat(text.strip())
    if day > utcnow().date():
        raise ValueError("in the future")
    return datetime.combine(day, time(12), tzinfo=UTC)


def parse_csv(text: str) -> list[ContactData]:
    """Rows with a header naming the columns (email required; the others optional, any order).

    All or nothing: every bad row is listed by its line number, and nothing is returned.
    """
    if len(text.encode("utf-8")) > IMPORT_MAX_BYTES:
        raise ImportRejected(
            [(0, str(_l("The file is larger than %(size)s MB.", size=IMPORT_MAX_BYTES // 10**6)))]
        )
    text = text.lstrip("\ufeff")
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            if any(cell.strip() for cell in row):
                rows.append((number, row))
    except csv.Error as error:
        raise ImportRejected(
            [(0, str(_l("The file is not valid CSV: %(error)s", error=error)))]
        ) from error
    if not rows:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    header_row, header = rows[0][0], [cell.strip().lower() for cell in rows[0][1]]
    known = set(IMPORT_COLUMNS) | set(IMPORT_OPTIONAL)
    unknown = [name for name in header if name not in known]
    if "email" not in header or unknown:
        raise ImportRejected(
            [
                (
                    header_row,
                    str(
                        _l(
                            "The first row must name the columns: %(columns)s.",
                            columns=", ".join(IMPORT_COLUMNS + IMPORT_OPTIONAL),
                        )
                    ),
                )
            ]
        )
    body = rows[1:]
    if len(body) > IMPORT_MAX_ROWS:
        raise ImportRejected(
            [(0, str(_l("At most %(count)s rows per file.", count=IMPORT_MAX_ROWS)))]
        )
    countries = _known_countries()
    contacts: list[ContactData] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, row in body:
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        data = ContactData(
            email=values.get("email", ""),
            name=values.get("name", ""),
            country_code=values.get("country") or None,
            institution=values.get("institution") or None,
            position=values.get("position") or None,
            language=values.get("language") or "es",
            kind=values.get("kind") or ContactKind.subscriber,
            row=number,
        )
        problems = [message for _field, message in check(data, countries)]
        if values.get("consent_date"):
            try:
                data.consent_at = _consent_date(values["consent_date"])
            except ValueError:
                problems.append(str(_l("consent_date must be a past date written YYYY-MM-DD.")))
        if not problems and data.email in seen:
            problems.append(str(_l("This address is also on row %(row)s.", row=seen[data.email])))
        seen.setdefault(data.email, number)
        errors.extend((number, message) for message in problems)
        contacts.append(data)
    if errors:
        raise ImportRejected(errors)
    if not contacts:
        raise ImportRejected([(0, str(_l("The file has no rows.")))])
    return contacts


def import_contacts(contacts: list[ContactData], user_id: int | None) -> ImportResult:
    """Adds new addresses and updates known ones, in one transaction.

    Imported contacts have consented (the Secretariat collected it: the file's consent_date,
    or now); an address that unsubscribed stays unsubscribed.
    """
    result = ImportResult()
    now = utcnow()
    emails = [c.email for c in contacts]
    existing: dict[str, Contact] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        for contact in db.session.scalars(select(Contact).where(Contact.email.in_(chunk))):
            existing[contact.email] = contact
    try:
        for data in contacts:
            contact = existing.get(data.email)
            if contact is None:
                contact = Contact(email=data.email, status=ContactStatus.active)
                db.session.add(contact)
                result.created += 1
            else:
                result.updated += 1
            contact.name = data.name or contact.name or ""
            contact.country_code = data.country_code or contact.country_code
            contact.institution = data.institution or contact.institution
            contact.position = data.position or contact.position
            contact.language = data.language
            contact.kind = data.kind
            if contact.status == ContactStatus.unsubscribed:
                result.kept_unsubscribed += 1
                continue
            contact.status = ContactStatus.active
            if contact.consent_at is None or data.consent_at is not None:
                contact.consent_at = data.consent_at or now
                contact.consent_source = ConsentSource.import_
        audit.record(
            "bulletin.contacts_imported",
            "bulletin_contact",
            None,
            changes={
                "created": result.created,
                "updated": result.updated,
                "kept_unsubscribed": result.kept_unsubscribed,
            },
            user_id=user_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# --- public subscription (double opt-in) ---------------------------------------------------


def subscribe(data: ContactData) -> None:
    """A request from the public form; the answer is the same whether or not the address is
    known (rule 9), and nothing about an existing contact changes before a confirmation.

    A new address becomes a pending contact and receives a confirmation link; a pending or
    unsubscribed one receives the link again; an active one is told it is subscribed already.
    """
    data.kind = ContactKind.subscriber
    _fail_on(check(data))
    contact = _by_email(data.email)
    if contact is None:
        contact = Contact(
            email=data.email,
            name=data.name,
            country_code=data.country_code,
            institution=data.institution,
            position=data.position,
            language=data.language,
            kind=ContactKind.subscriber,
            status=ContactStatus.pending,
        )
        db.session.add(contact)
        db.session.flush()
        audit.record(
            "bulletin.subscription_requested",
            "bulletin_contact",
            contact.id,
            actor="public form",
        )
    if contact.status == ContactStatus.active:
        template, context = "bulletin_already_subscribed", {}
    else:
        template = "bulletin_confirm"
        context = {"confirm_url": confirm_url(contact)}
    queue_message(
        to=contact.email,
        name=contact.name or None,
        template=template,
        # The language asked for now: the person reading the form reads the email.
        language=data.language,
        context=context,
    )
    db.session.commit()


def confirm_url(contact: Contact) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/bulletin/confirm/{tokens.make(tokens.CONFIRM, contact.id, contact.email)}"


def unsubscribe_url(contact_id: int, email: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/bulletin/unsubscribe/{tokens.make(tokens.UNSUBSCRIBE, contact_id, email)}"


def _contact_for(purpose: str, token: str) -> Contact | None:
    """The contact a link names; None for a test send's link. Raises InvalidToken."""
    claim = tokens.read(purpose, token)
    if claim.contact_id == tokens.TEST_CONTACT:
        return None
    contact = db.session.get(Contact, claim.contact_id, with_for_update=True)
    if contact is None or tokens.address_hash(contact.email) != claim.address_hash:
        # Erased, or the id now belongs to another address: the link names nobody.
        raise tokens.InvalidToken(expired=False)
    return contact


def confirm(token: str) -> Contact:
    """The confirmation link: the contact is active from now, with its consent dated now."""
    contact = _contact_for(tokens.CONFIRM, token)
    if contact is None:
        raise tokens.InvalidToken(expired=False)
    if contact.status != ContactStatus.active:
        contact.status = ContactStatus.active
        contact.consent_at = utcnow()
        contact.consent_source = ConsentSource.subscription
        contact.unsubscribed_at = None
        audit.record(
            "bulletin.subscription_confirmed",
            "bulletin_contact",
            contact.id,
            actor="confirmation link",
        )
    db.session.commit()
    return contact


def unsubscribe(token: str, *, how: str = "unsubscribe link") -> Contact | None:
    """The unsubscribe link (page or one-click POST): effective at once. None for a test link."""
    contact = _contact_for(tokens.UNSUBSCRIBE, token)
    if contact is None:
        db.session.rollback()
        return None
    _unsubscribe(contact, actor=how, user_id=None)
    db.session.commit()
    return contact


def unsubscribe_by_staff(contact_id: int, user_id: int | None) -> Contact:
    contact = db.session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise ContactError(str(_l("This contact does not exist.")))
    _unsubscribe(contact, actor=None, user_id=user_id)
    db.session.commit()
    return contact


def _unsubscribe(contact: Contact, actor: str | None, user_id: int | None) -> None:
    withdrawn = 0
    if contact.status != ContactStatus.unsubscribed:
        contact.status = ContactStatus.unsubscribed
        contact.unsubscribed_at = utcnow()
    withdrawn = withdraw_queued(contact.id)
    audit.record(
        "bulletin.unsubscribed",
        "bulletin_contact",
        contact.id,
        changes={"withdrawn_messages": withdrawn},
        actor=actor,
        user_id=user_id,
    )


def withdraw_queued(contact_id: int) -> int:
    """Takes back the contact's bulletin messages still waiting in the outbox.

    A message a worker has already claimed (`sending`) is beyond reach; every `pending` one
    is deleted under a row lock, which the outbox's claim (FOR UPDATE SKIP LOCKED, then a
    conditional UPDATE) respects, and its delivery is counted as skipped.
    """
    pending = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .join(BulletinDelivery, BulletinDelivery.outbox_message_id == OutboxMessage.id)
            .where(
                BulletinDelivery.contact_id == contact_id,
                BulletinDelivery.status == DeliveryStatus.queued,
                OutboxMessage.status == OutboxStatus.pending,
            )
            .with_for_update(of=OutboxMessage)
        )
    )
    if not pending:
        return 0
    db.session.execute(
        update(BulletinDelivery)
        .where(BulletinDelivery.outbox_message_id.in_(pending))
        .values(status=DeliveryStatus.skipped)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(pending), OutboxMessage.status == OutboxStatus.pending)
        .execution_options(synchronize_session=False)
    )
    return len(pending)


# --- distribution lists --------------------------------------------------------------------


@dataclass
class ListData:
    name: str
    countries: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def create_list(data: ListData, user_id: int | None) -> DistributionList:
    name = (data.name or "").strip()
    if not name or len(name) > 200:
        raise ContactError(str(_l("Give the list a name (200 characters at most).")), "name")
    countries = sorted({c.strip().upper() for c in data.countries if c.strip()})
    unknown = set(countries) - _known_countries()
    if unknown:
        raise ContactError(
            str(_l("Unknown country code: %(code)s", code=", ".join(sorted(unknown)))),
            "countries",
        )
    kinds = sorted({k.strip() for k in data.kinds if k.strip()})
    if set(kinds) - set(ContactKind.__members__):
        raise ContactError(str(_l("Unknown kind of contact.")), "kinds")
    if db.session.scalar(select(DistributionList.id).where(DistributionList.name == name)):
        raise ContactError(str(_l("A list with this name already exists.")), "name")
    created = DistributionList(name=name, countries=countries, kinds=kinds)
    db.session.add(created)
    db.session.flush()
    audit.record(
        "bulletin.list_created",
        "bulletin_list",
        created.id,
        changes={"name": name, "countries": countries, "kinds": kinds},
        user_id=user_id,
    )
    db.session.commit()
    return created


def members(distribution_list: DistributionList) -> Select:
    """The list's active contacts: every contact matching its countries and kinds."""
    query = select(Contact).where(Contact.status == ContactStatus.active)
    conditions = []
    if distribution_list.countries:
        conditions.append(Contact.country_code.in_(distribution_list.countries))
    if distribution_list.kinds:
        conditions.append(Contact.kind.in_(distribution_list.kinds))
    if conditions:
        query = query.where(and_(*conditions))
    return query


def member_count(distribution_list: DistributionList) -> int:
    subquery = members(distribution_list).with_only_columns(Contact.id).subquery()
    return int(db.session.scalar(select(func.count()).select_from(subquery)) or 0)
