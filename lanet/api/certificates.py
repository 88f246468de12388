"""Certificates: a person's and an event's lists, one certificate's PDF, and verification of a
code (public). The same services and permissions as the pages (lanet.certificates)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from lanet.accounts.permissions import Action, is_staff
from lanet.api.auth import BEARER, require_user
from lanet.api.core import resource_blueprint
from lanet.api.lookups import SLUG_PARAMETER, current_event, event_permission
from lanet.api.problems import ApiProblem, problem_responses
from lanet.certificates import downloads, queries, service
from lanet.certificates.errors import CertificateError
from lanet.certificates.models import Certificate
from lanet.core.i18n import current_language
from lanet.extensions import db

blp = resource_blueprint(
    "api_certificates",
    "Certificates of attendance and of cycle completion; verification of a code (public).",
)

_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
PERSON_PARAMETER = {"in": "path", "name": "person_id", "required": True, "schema": _ID}
CERTIFICATE_PARAMETER = {"in": "path", "name": "certificate_id", "required": True, "schema": _ID}
CODE_PARAMETER = {
    "in": "path",
    "name": "code",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
    "description": "The code printed on the certificate (dashes, spaces and case ignored)",
}
PDF_RESPONSE = {
    "200": {
        "description": "The certificate as issued (PDF)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class CertificateSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "issued, failed, withdrawn"})
    kind = ma.fields.String(
        attribute="template.kind", required=True, metadata={"description": "attendance, completion"}
    )
    event = ma.fields.Method("_event", allow_none=True, metadata={"description": "Event slug"})
    cycle_id = ma.fields.Integer(attribute="template.cycle_id", allow_none=True)
    person_id = ma.fields.Integer(allow_none=True)
    holder_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    days_attended = ma.fields.Integer(required=True)
    language = ma.fields.String(required=True)
    issued_at = ma.fields.AwareDateTime(allow_none=True)
    withdrawn_at = ma.fields.AwareDateTime(allow_none=True)
    verify_url = ma.fields.Method("_verify_url", required=True)

    def _event(self, certificate: Certificate) -> str | None:
        event = certificate.template.event
        return event.slug if event is not None else None

    def _verify_url(self, certificate: Certificate) -> str:
        return f"{current_app.config['BASE_URL']}/verify/{certificate.code}"


class VerificationSchema(ma.Schema):
    code = ma.fields.String(required=True)
    valid = ma.fields.Boolean(required=True)
    holder = ma.fields.String(required=True)
    subject = ma.fields.String(required=True, metadata={"description": "The event or cycle"})
    dates = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    withdrawn_on = ma.fields.Date(allow_none=True)


def _problem(error: CertificateError) -> ApiProblem:
    if error.field and error.status == 422:
        return ApiProblem(
            422,
            error.message,
            invalid_params=[{"name": error.field, "in": "json", "reason": error.message}],
        )
    return ApiProblem(error.status, error.message)


@blp.get("/people/<int:person_id>/certificates", parameters=[PERSON_PARAMETER])
@blp.doc(security=BEARER)
@blp.response(200, CertificateSchema(many=True))
@problem_responses(blp, 403)
def person_certificates(person_id: int):
    """A person's certificates: for staff, and for the person's own account."""
    user = require_user()
    if not (is_staff(user) or user.person_id == person_id):
        raise ApiProblem(403, "Your token does not allow this operation.")
    return queries.certificates_of_person(person_id)


@blp.get("/events/<slug>/certificates", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_certificates)
@blp.doc(security=BEARER)
@blp.response(200, CertificateSchema(many=True))
@problem_responses(blp, 403, 404)
def event_certificates(slug: str):
    """The event's certificates of attendance, for its organizers and staff."""
    template = queries.template_for_event(current_event().id)
    return queries.certificates_of_template(template.id) if template else []


@blp.get("/certificates/<int:certificate_id>/pdf", parameters=[CERTIFICATE_PARAMETER])
@blp.doc(security=BEARER, responses=PDF_RESPONSE)
@problem_responses(blp, 403, 404, 409)
def download(certificate_id: int):
    """One certificate's PDF: staff, the event's organizers, and the holder's own account."""
    user = require_user()
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise ApiProblem(404, "There is no certificate with this id.")
    if not service.may_view_certificate(user, certificate):
        raise ApiProblem(403, "Your token does not allow this operation.")
    try:
        return downloads.certificate_pdf_response(certificate)
    except CertificateError as error:
        raise _problem(error) from error


@blp.get("/certificates/verify/<code>", parameters=[CODE_PARAMETER])
@blp.response(200, VerificationSchema)
@problem_responses(blp, 404)
def verify(code: str):
    """Is a certificate genuine? Only what a verifier needs; an unknown code is not found."""
    try:
        return service.verify(code, current_language())
    except CertificateError as error:
        raise ApiProblem(404, "No certificate has this code.") from error
