"""What certificates hold about a person, for export and erasure.

Erasing a person withdraws their certificates: the stored PDFs are deleted, the name kept
for verification is blanked, and the public page then answers "withdrawn" for their codes.
The organizers' decisions about them (with free-text reasons) are deleted.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from lanet.certificates.models import Certificate, CertificateDecision, CertificateStatus
from lanet.core.models import StoredFile
from lanet.core.personal_data import PersonalData, declare, not_personal
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.network.models import Person

ERASED_NAME = "[erased]"
ERASED_REASON = "the holder's personal data was erased"


def export(person: Person) -> dict:
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.person_id == person.id).order_by(Certificate.id)
    )
    decisions = db.session.scalars(
        select(CertificateDecision).where(CertificateDecision.person_id == person.id)
    )
    return {
        "certificates": [
            {
                "code": c.code,
                "status": c.status,
                "holder_name": c.holder_name,
                "role": c.role,
                "days_attended": c.days_attended,
                "language": c.language,
                "issued_at": c.issued_at.isoformat() if c.issued_at else None,
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                "withdrawn_reason": c.withdrawn_reason,
                "event_id": c.template.event_id,
                "cycle_id": c.template.cycle_id,
            }
            for c in certificates
        ],
        "certificate_decisions": [
            {"template_id": d.template_id, "decision": d.decision, "reason": d.reason}
            for d in decisions
        ],
    }


def erase(person: Person) -> None:
    """Withdraws and blanks the person's certificates; the caller commits."""
    now = utcnow()
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.person_id == person.id)
    ):
        if certificate.file_key:
            db.session.execute(delete(StoredFile).where(StoredFile.key == certificate.file_key))
        if certificate.status != CertificateStatus.withdrawn:
            certificate.withdrawn_at = now
            certificate.withdrawn_reason = ERASED_REASON
        certificate.status = CertificateStatus.withdrawn
        certificate.holder_name = ERASED_NAME
        certificate.file_key = None
        certificate.error = None
    db.session.execute(
        delete(CertificateDecision).where(CertificateDecision.person_id == person.id)
    )


declare(
    PersonalData(
        name="certificates.certificates",
        columns={
            "certificates": ["holder_name", "error", "withdrawn_reason"],
            "certificate_decisions": ["reason"],
        },
        export=export,
        erase=erase,
        description="certificates withdrawn, PDFs deleted, holder name blanked; decisions deleted",
    )
)
not_personal(
    "certificate_templates",
    ["titles", "bodies", "issuer", "roles"],
    "a certificate template's wording and issuer; holders' names are filled in when rendered",
)
not_personal(
    "certificate_images",
    ["content", "content_type", "signer_name", "signer_position"],
    "logos and the signing official's signature, name and title as printed on certificates: "
    "the issuing institution's act, entered by staff, not a participant's data",
)
