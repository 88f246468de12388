"""Producing certificates: one row per holder and template, a PDF in storage, an email.

Idempotent: the (template, person) pair is unique in the database, so a second run, or two
workers at once, find the certificate already there and make no second one. Each certificate
commits on its own: a PDF that fails to render is marked failed with its reason and the run
goes on; progress is committed as it goes, for the page that shows it.
"""

from __future__ import annotations

import hashlib
import secrets
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


def _private_link(person_id: int, event_ids: tuple[int, ...]) -> str | None:
    token = db.session.scalar(
        select(Registration.manage_token)
        .where(Registration.person_id == person_id, Registration.event_id.in_(event_ids))
        .order_by(Registration.id.desc())
        .limit(1)
    )
    return f"{current_app.config['BASE_URL']}/r/{token}" if token else None


def _issue(
    template: _Subject, prepared: documents.Prepared, entry, certificate: Certificate | None
) -> Certificate:
    """Renders, stores and emails one certificate; the caller commits."""
    person = db.session.get(Person, entry.person_id)
    if certificate is None:
        certificate = Certificate(
            template_id=template.id,
            person_id=person.id,
            code=new_code(),
            language=person.language if person.language in ("es", "pt", "en") else "es",
            holder_name=person.full_name,
            role=entry.role,
            days_attended=entry.days_attended,
            status=CertificateStatus.failed,
        )
        with db.session.begin_nested():
            db.session.add(certificate)
    holder = documents.Holder(
        name=certificate.holder_name, role=certificate.role, days=certificate.days_attended
    )
    pdf = render_pdf(prepared.document(holder, certificate.language, certificate.code))
    certificate.file_key = store_pdf(certificate.code, pdf)
    certificate.status = CertificateStatus.issued
    certificate.error = None
    certificate.issued_at = utcnow()
    if person.email and person.erased_at is None:
        queue_message(
            to=person.email,
            name=person.full_name,
            template="certificate_issued",
            language=certificate.language,
            context={
                "subject_title": template.titles[certificate.language],
                "verify_url": documents.verify_url(certificate.code),
                "code": certificate.code,
                "manage_url": _private_link(person.id, template.event_ids),
            },
            event_id=template.event_id,
            attachments=[Attachment(filename(certificate), PDF, pdf)],
        )
        certificate.emailed_at = utcnow()
    return certificate


def _record_failure(template_id: int, person_id: int, entry, error: Exception) -> None:
    """Keeps the failure, with its reason, on the person's certificate row."""
    db.session.rollback()
    certificate = db.session.scalar(
        select(Certificate).where(
            Certificate.template_id == template_id, Certificate.person_id == person_id
        )
    )
    if certificate is None:
        person = db.session.get(Person, person_id)
        certificate = Certificate(
            template_id=template_id,
            person_id=person_id,
            code=new_code(),
            language=person.language if person.language in ("es", "pt", "en") else "es",
            holder_name=person.full_name,
            role=entry.role,
            days_attended=entry.days_attended,
        )
        db.session.add(certificate)
    certificate.status = CertificateStatus.failed
    certificate.error = f"{type(error).__name__}: {error}"[:2000]
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
    existing = {
        c.person_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.template_id == template.id)
        )
    }
    done = failed = 0
    for entry in eligible:
        certificate = existing.get(entry.person_id)
        if certificate is not None and certificate.status != CertificateStatus.failed:
            done += 1  # issued (or withdrawn by staff): never a second one
        else:
            try:
                _issue(subject, prepared, entry, certificate)
                done += 1
            except IntegrityError:
                # Another worker issued this one meanwhile: it exists, once.
                db.session.rollback()
                done += 1
            except Exception as error:  # one bad PDF fails alone, with its reason
                current_app.logger.exception("certificate for person %s failed", entry.person_id)
                _record_failure(subject.id, entry.person_id, entry, error)
                failed += 1
        _progress(run_id, done=done, failed=failed)
        db.session.commit()
    _progress(run_id, status=RunStatus.finished, finished_at=utcnow(), done=done, failed=failed)
    db.session.commit()
    return db.session.get(CertificateRun, run_id)
