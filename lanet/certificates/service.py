"""Changing certificates' state: organizers' decisions, production requests, withdrawal,
and the answers of verification and download. Views, API and tasks all call these.

Transactions: each public function that changes something commits it (with its audit entry
and the task it sends after the commit); a CertificateError is raised before anything is
written, so a refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from lanet.accounts.models import User
from lanet.accounts.permissions import Action, can
from lanet.certificates import documents, production, queries
from lanet.certificates.errors import CertificateError
from lanet.certificates.models import (
    Certificate,
    CertificateDecision,
    CertificateRun,
    CertificateStatus,
    CertificateTemplate,
    Decision,
    RunStatus,
    TemplateKind,
)
from lanet.core import audit, dispatch
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.network.models import Person

PRODUCE_TASK = "lanet.certificates.produce"


# --- permissions ---------------------------------------------------------------------------


def may_manage(user: User | None, template_or_event) -> bool:
    """An event's organizers and staff manage its certificates; a cycle's, staff only."""
    if isinstance(template_or_event, CertificateTemplate):
        target = template_or_event.event_id  # None for a cycle: only staff pass
    else:
        target = template_or_event
    return can(user, Action.manage_certificates, target)


def may_view_certificate(user: User | None, certificate: Certificate) -> bool:
    """Staff, the subject's organizers, and the holder's own account."""
    if user is not None and getattr(user, "person_id", None) == certificate.person_id:
        return bool(getattr(user, "is_authenticated", False)) and user.is_active
    return may_manage(user, certificate.template)


def require(allowed: bool) -> None:
    if not allowed:
        raise CertificateError(_("You may not do this."), None, 403)


# --- organizers' decisions -------------------------------------------------------------------


def decide(template_id: int, person_id: int, decision: str, reason: str) -> CertificateDecision:
    """Adds or withholds one person's certificate against the attendance rule, with a reason."""
    reason = (reason or "").strip()
    if decision not in {d.value for d in Decision}:
        raise CertificateError(_("Choose to add or to withhold."), "decision")
    if not reason or len(reason) > 500:
        raise CertificateError(_("Give the reason (at most 500 characters)."), "reason")
    template = db.session.get(CertificateTemplate, template_id)
    if template is None or db.session.get(Person, person_id) is None:
        raise CertificateError(_("Not found."), None, 404)
    if not any(e.person_id == person_id for e in queries.entries(template)):
        raise CertificateError(_("This person is not registered here."), "person_id", 422)
    row = db.session.scalar(
        select(CertificateDecision).where(
            CertificateDecision.template_id == template_id,
            CertificateDecision.person_id == person_id,
        )
    )
    if row is None:
        row = CertificateDecision(template_id=template_id, person_id=person_id)
        db.session.add(row)
    row.decision, row.reason, row.decided_at = decision, reason, utcnow()
    row.decided_by_id = audit._acting_user_id()
    audit.record(
        f"certificate_{decision}",
        "certificate_template",
        template_id,
        event_id=template.event_id,
        person_id=person_id,
        changes={"reason": reason},
    )
    db.session.commit()
    return row


def clear_decision(template_id: int, person_id: int) -> None:
    row = db.session.scalar(
        select(CertificateDecision).where(
            CertificateDecision.template_id == template_id,
            CertificateDecision.person_id == person_id,
        )
    )
    if row is None:
        return
    template = db.session.get(CertificateTemplate, template_id)
    db.session.delete(row)
    audit.record(
        "certificate_decision_cleared",
        "certificate_template",
        template_id,
        event_id=template.event_id if template else None,
        person_id=person_id,
    )
    db.session.commit()


# --- production -------------------------------------------------------------------------------


def request_production(template_id: int, *, requested_by_id: int | None = None) -> CertificateRun:
    """Queues a run; a run already queued or running is returned instead of a second one."""
    template = db.session.get(CertificateTemplate, template_id)
    if template is None:
        raise CertificateError(_("Define the certificate first."), None, 404)
    if not _subject_held(template):
        raise CertificateError(
            _("Certificates are produced once the event is held."), "status", 409
        )
    run = queue_run(template, requested_by_id=requested_by_id)
    db.session.commit()
    return run


def queue_run(
    template: CertificateTemplate, *, requested_by_id: int | None = None
) -> CertificateRun:
    """Adds a run in the caller's transaction (no commit): the task leaves after its commit."""
    latest = queries.latest_run(template.id)
    if latest is not None and latest.status != RunStatus.finished:
        return latest
    run = CertificateRun(template_id=template.id, requested_by_id=requested_by_id)
    db.session.add(run)
    db.session.flush()
    audit.record(
        "certificates_requested",
        "certificate_template",
        template.id,
        event_id=template.event_id,
        user_id=requested_by_id,
    )
    # The task leaves once the run row is committed; a rollback sends nothing.
    dispatch.send_after_commit(PRODUCE_TASK, run.id, queue="reports")
    return run


def templates_owed_by(event: Event) -> list[CertificateTemplate]:
    """The templates an event's being held completes: its own, and its cycle's once every
    part is held."""
    found = []
    own = queries.template_for_event(event.id)
    if own is not None:
        found.append(own)
    if event.cycle_id is not None:
        cycle = queries.template_for_cycle(event.cycle_id)
        if cycle is not None:
            found.append(cycle)
    return [template for template in found if _subject_held(template)]


def _subject_held(template: CertificateTemplate) -> bool:
    parts = queries.parts_of(template)
    if template.kind == TemplateKind.completion:
        needed = template.cycle.series.parts_per_cycle if template.cycle else 1
        if len(parts) < needed:
            return False
    return bool(parts) and all(part.status == EventStatus.held for part in parts)


def send(run_id: int) -> bool:
    """Sends the run's task now (beat's sweep re-sends a run the broker never got)."""
    return dispatch.send_task(PRODUCE_TASK, run_id, queue="reports")


def sweep(today: date | None = None) -> int:
    """Beat's round: a run for each held subject that has a template and never had one, and
    runs still queued after a few minutes (the broker was down) are sent again."""
    started = 0
    templates = db.session.scalars(
        select(CertificateTemplate).where(
            ~CertificateTemplate.id.in_(select(CertificateRun.template_id))
        )
    ).all()
    for template in templates:
        if _subject_held(template):
            request_production(template.id)
            started += 1
    stale = db.session.scalars(
        select(CertificateRun.id).where(
            CertificateRun.status == RunStatus.queued,
            CertificateRun.requested_at < utcnow() - timedelta(minutes=5),
        )
    ).all()
    for run_id in stale:
        send(run_id)
    db.session.rollback()
    return started + len(stale)


# --- withdrawal ---------------------------------------------------------------------------------


def withdraw(certificate_id: int, reason: str, *, user_id: int | None = None) -> Certificate:
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise CertificateError(_("Give the reason (at most 500 characters)."), "reason")
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise CertificateError(_("Not found."), None, 404)
    if certificate.status == CertificateStatus.withdrawn:
        raise CertificateError(_("This certificate is already withdrawn."), "status", 409)
    certificate.status = CertificateStatus.withdrawn
    certificate.withdrawn_at = utcnow()
    certificate.withdrawn_reason = reason
    certificate.withdrawn_by_id = user_id if user_id is not None else audit._acting_user_id()
    audit.record(
        "certificate_withdrawn",
        "certificate",
        certificate.id,
        event_id=certificate.template.event_id,
        person_id=certificate.person_id,
        user_id=user_id,
        changes={"reason": reason},
    )
    db.session.commit()
    return certificate


# --- verification and download --------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """Only what a verifier needs; nothing else about the holder leaves the database."""

    code: str
    holder: str
    subject: str
    dates: str
    issuer: str
    valid: bool
    withdrawn_on: date | None


def verify(typed: str, language: str) -> Verification:
    """The certificate a code belongs to; a malformed or unknown code is "not found"."""
    code = production.normalise_code(typed or "")
    certificate = queries.by_code(code) if code else None
    if certificate is None or certificate.status == CertificateStatus.failed:
        raise CertificateError(_("No certificate has this code."), "code", 404)
    template = certificate.template
    parts = queries.parts_of(template)
    return Verification(
        code=certificate.code,
        holder=certificate.holder_name,
        subject=documents.subject(template, language),
        dates=documents.dates(parts),
        issuer=template.issuer,
        valid=certificate.status == CertificateStatus.issued,
        withdrawn_on=certificate.withdrawn_at.date() if certificate.withdrawn_at else None,
    )


def pdf_of(certificate: Certificate) -> bytes:
    """The stored PDF of an issued certificate (a withdrawn one is no longer handed out)."""
    if certificate.status != CertificateStatus.issued:
        raise CertificateError(_("This certificate is not available."), "status", 409)
    content = production.stored_pdf(certificate)
    if content is None:
        raise CertificateError(_("This certificate is not available."), "status", 409)
    return content


def certificate_for_holder(token: str, code: str) -> Certificate:
    """A certificate reached through the holder's private registration link."""
    from lanet.registration import service as registration_service

    try:
        registration = registration_service.registration_for_token(token)
    except registration_service.RegistrationError as error:
        raise CertificateError(_("Not found."), None, 404) from error
    for certificate in queries.certificates_for_registration(registration):
        if certificate.code == code:
            return certificate
    raise CertificateError(_("Not found."), None, 404)


def event_of(template: CertificateTemplate) -> Event | None:
    return template.event
