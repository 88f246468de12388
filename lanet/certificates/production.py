"""Producing certificates: one row per holder and template, a PDF in storage, an email.

Idempotent: the (template, person) pair is unique in the database, so a second run, or two
workers at once, find the certificate already there and make no second one. Each certificate
commits on its own: a PDF that fails to render is marked failed with its reason and the run
goes on; progress is committed as it goes, for the page that shows it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lanet.certificates import documents, queries
from lanet.certificates.models import (
    Certificate,
    CertificateRun,
    CertificateStatus,
    CertificateTemplate,
    RunStatus,
)
from lanet.certificates.render import render_pdf
from lanet.core import tokens as link_tokens
from lanet.core.models import StoredFile
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail.service import Attachment, queue_message
from lanet.network.models import Person
from lanet.registration.models import Registration

# Crockford's base32 alphabet: no I, L, O or U to misread; 16 characters carry 80 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
PDF = "application/pdf"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str | None:
    """A typed or scanned code in its stored form, or None if it cannot be one."""
    code = "".join(typed.split()).replace("-", "").upper()
    code = code.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def file_key(code: str) -> str:
    return f"certificates/{code}.pdf"


def store_pdf(code: str, content: bytes) -> str:
    key = file_key(code)
    etag = hashlib.sha256(content).hexdigest()[:40]
    stored = db.session.scalar(select(StoredFile).where(StoredFile.key == key))
    if stored is None:
        db.session.add(StoredFile(key=key, content_type=PDF, content=content, etag=etag))
    else:
        stored.content, stored.etag, stored.updated_at = content, etag, utcnow()
    return key


def stored_pdf(certificate: Certificate) -> bytes | None:
    if not certificate.file_key:
        return None
    return db.session.scalar(
        select(StoredFile.content).where(StoredFile.key == certificate.file_key)
    )


def filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.code}.pdf"


@dataclass(frozen=True)
class _Subject:
    """The template's facts a run needs, read once (objects expire at every commit)."""

    id: int
    event_id: int | None
    event_ids: tuple[int, ...]
    titles: dict[str, str]  # language -> the event's title or the cycle's name


@dataclass(frozen=True)
class _Holder:
    """A person as the run needs them, read for the whole run in one query."""

    id: int
    name: str
    email: str | None
    language: str
    link: str | None


def _holders(person_ids: list[int], event_ids: tuple[int, ...]) -> dict[int, _Holder]:
    base = current_app.config["BASE_URL"]
    tokens: dict[int, str] = {}
    for person_id, nonce in db.session.execute(
        select(Registration.person_id, Registration.token_nonce)
        .where(Registration.person_id.in_(person_ids), Registration.event_id.in_(event_ids))
        .order_by(Registration.id)
    ):
        # The latest registration's link wins; the database keeps no link, only its nonce.
        tokens[person_id] = link_tokens.token_for(Registration.TOKEN_PURPOSE, nonce)
    holders = {}
    for person in db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.email, Person.language,
               Person.erased_at).where(Person.id.in_(person_ids))
    ):  # fmt: skip
        holders[person.id] = _Holder(
            id=person.id,
            name=f"{person.first_name} {person.last_name}".strip(),
            email=person.email if person.erased_at is None else None,
            language=person.language if person.language in ("es", "pt", "en") else "es",
            link=f"{base}/r/{tokens[person.id]}" if person.id in tokens else None,
        )
    return holders


def _issue(
    subject: _Subject,
    prepared: documents.Prepared,
    entry,
    holder: _Holder,
    existing: Certificate | None,
) -> None:
    """Renders the PDF, then writes the certificate, its file and its email; the caller
    commits. A rendering error raises before anything is written."""
    code = existing.code if existing is not None else new_code()
    language = existing.language if existing is not None else holder.language
    name = existing.holder_name if existing is not None else holder.name
    shown = documents.Holder(name=name, role=entry.role, days=entry.days_attended)
    pdf = render_pdf(prepared.document(shown, language, code))
    now = utcnow()
    if existing is None:
        # A new code: its file key is new too, so no lookup before the insert.
        key = file_key(code)
        db.session.add(
            StoredFile(
                key=key, content_type=PDF, content=pdf, etag=hashlib.sha256(pdf).hexdigest()[:40]
            )
        )
        certificate = Certificate(
            template_id=subject.id,
            person_id=holder.id,
            code=code,
            language=language,
            holder_name=name,
            role=entry.role,
            days_attended=entry.days_attended,
            status=CertificateStatus.issued,
            file_key=key,
            issued_at=now,
        )
        db.session.add(certificate)
    else:
        certificate = existing
        certificate.file_key = store_pdf(code, pdf)
        certificate.status = CertificateStatus.issued
        certificate.error = None
        certificate.issued_at = now
    if holder.email:
        queue_message(
            to=holder.email,
            name=name,
            template="certificate_issued",
            language=language,
            context={
                "subject_title": subject.titles[language],
                "verify_url": documents.verify_url(code),
                "code": code,
                "manage_url": holder.link,
            },
            event_id=subject.event_id,
            attachments=[Attachment(f"certificate-{code}.pdf", PDF, pdf)],
        )
        certificate.emailed_at = now


def _record_failure(
    subject: _Subject, entry, holder: _Holder, existing: Certificate | None, error: Exception
) -> None:
    """Keeps the failure, with its reason, on the person's certificate row."""
    db.session.rollback()
    reason = f"{type(error).__name__}: {error}"[:2000]
    if existing is not None:
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == existing.id)
            .values(status=CertificateStatus.failed, error=reason)
        )
    else:
        db.session.add(
            Certificate(
                template_id=subject.id,
                person_id=holder.id,
                code=new_code(),
                language=holder.language,
                holder_name=holder.name,
                role=entry.role,
                days_attended=entry.days_attended,
                status=CertificateStatus.failed,
                error=reason,
            )
        )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def _progress(run_id: int, **values) -> None:
    db.session.execute(
        update(CertificateRun)
        .where(CertificateRun.id == run_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def run(run_id: int) -> CertificateRun | None:
    """Produces every certificate the run's template owes; returns the finished run."""
    production = db.session.get(CertificateRun, run_id)
    if production is None or production.status == RunStatus.finished:
        return production
    template = db.session.get(CertificateTemplate, production.template_id)
    parts = queries.parts_of(template)
    prepared = documents.prepare(template, parts)
    subject = _Subject(
        id=template.id,
        event_id=template.event_id,
        event_ids=tuple(part.id for part in parts),
        titles={lang: documents.subject(template, lang) for lang in ("es", "pt", "en")},
    )
    eligible = [entry for entry in queries.entries(template) if entry.eligible]
    _progress(
        run_id, status=RunStatus.running, total=len(eligible), done=0, failed=0, started_at=utcnow()
    )
    db.session.commit()
    # Plain rows, not objects: objects would expire at every commit and reload one by one.
    existing = dict(
        db.session.execute(
            select(Certificate.person_id, Certificate.status).where(
                Certificate.template_id == template.id
            )
        ).all()
    )
    holders = _holders([entry.person_id for entry in eligible], subject.event_ids)
    done = failed = 0
    shown_at = time.monotonic()
    for entry in eligible:
        status = existing.get(entry.person_id)
        if status is not None and status != CertificateStatus.failed:
            done += 1  # issued (or withdrawn by staff): never a second one
            continue
        holder = holders[entry.person_id]
        certificate = None
        if status is not None:  # a failed one, tried again with its code
            certificate = db.session.scalar(
                select(Certificate).where(
                    Certificate.template_id == subject.id, Certificate.person_id == holder.id
                )
            )
        try:
            _issue(subject, prepared, entry, holder, certificate)
            # Progress rides in the certificate's own commit, about once a second.
            if time.monotonic() - shown_at > 1:
                _progress(run_id, done=done + 1, failed=failed)
                shown_at = time.monotonic()
            db.session.commit()
            done += 1
        except IntegrityError:
            # Another worker issued this one meanwhile: it exists, once.
            db.session.rollback()
            done += 1
        except Exception as error:  # one bad PDF fails alone, with its reason
            current_app.logger.exception("certificate for person %s failed", entry.person_id)
            _record_failure(subject, entry, holder, certificate, error)
            failed += 1
    _progress(run_id, status=RunStatus.finished, finished_at=utcnow(), done=done, failed=failed)
    db.session.commit()
    return db.session.get(CertificateRun, run_id)
