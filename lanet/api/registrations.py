"""Registrations (create, read and cancel by private token; lists for organizers and focal
points) and invitations (bulk, with their state). Rules stay in lanet.registration's services."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, make_response, url_for
from marshmallow import validate

from lanet.accounts.limits import registration_limit
from lanet.accounts.permissions import Action, focal_point_countries
from lanet.api.auth import (
    BEARER,
    allowed,
    current_api_user,
    require_user,
)
from lanet.api.core import resource_blueprint
from lanet.api.idempotency import idempotent
from lanet.api.lookups import SLUG_PARAMETER, current_event, event_permission
from lanet.api.pagination import PageArgs, page_schema, paginate_list
from lanet.api.problems import ApiProblem, problem_responses
from lanet.api.schemas import InputSchema, _choice
from lanet.core.text import NOT_BLANK_ONE_LINE_PATTERN, ONE_LINE_PATTERN, one_line
from lanet.events.access import event_for
from lanet.extensions import limiter
from lanet.network.models import LANGUAGES, InstitutionKind
from lanet.registration import errors, import_jobs, imports, invitations, queries, service
from lanet.registration.models import Registration, RegistrationRole, RegistrationStatus

blp = resource_blueprint(
    "api_registrations", "Registrations and invitations, by private token or bearer token."
)

TOKEN_PARAMETER = {
    "in": "path",
    "name": "token",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": "The private manage token, sent by email to the registrant's address",
}


# --- schemas ---------------------------------------------------------------------------------

# Anchored so that marshmallow (re.match) and JSON Schema (search) read it alike.
_NOT_BLANK = validate.Regexp(r"^\s*\S", error="Must not be blank.")
# The service names the fields of the registration form; the API names its own.
_FIELD_NAMES = {"country": "country_code", "institution": "institution_id"}


class ApplicantSchema(InputSchema):
    first_name = ma.fields.String(
        required=True,
        validate=[validate.Length(max=120), _NOT_BLANK, one_line],
        metadata={"pattern": NOT_BLANK_ONE_LINE_PATTERN},
    )
    last_name = ma.fields.String(
        required=True,
        validate=[validate.Length(max=120), _NOT_BLANK, one_line],
        metadata={"pattern": NOT_BLANK_ONE_LINE_PATTERN},
    )
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    country_code = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z]{2}$", error="Use a two-letter ISO 3166 code."),
    )
    language = ma.fields.String(load_default="es", validate=_choice(LANGUAGES))
    position = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=200), one_line],
        metadata={"pattern": ONE_LINE_PATTERN},
    )
    institution_id = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )
    new_institution_name = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=300), one_line],
        metadata={"pattern": ONE_LINE_PATTERN},
    )
    new_institution_kind = ma.fields.String(
        load_default=None, allow_none=True, validate=_choice(InstitutionKind)
    )
    role = ma.fields.String(
        load_default=str(RegistrationRole.participant), validate=_choice(RegistrationRole)
    )
    consent = ma.fields.Boolean(
        required=True, metadata={"description": "Consent to the processing of personal data"}
    )
    invitation_token = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=64)
    )


class PersonSchema(ma.Schema):
    first_name = ma.fields.String(required=True)
    last_name = ma.fields.String(required=True)
    email = ma.fields.String(allow_none=True)
    country_code = ma.fields.String(allow_none=True)
    language = ma.fields.String(required=True)
    position = ma.fields.String(allow_none=True)
    institution = ma.fields.String(attribute="institution.name", allow_none=True)


class RegistrationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    event = ma.fields.String(attribute="event.slug", required=True)
    status = ma.fields.String(required=True, validate=_choice(RegistrationStatus))
    role = ma.fields.String(required=True)
    person = ma.fields.Nested(PersonSchema, required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)
    confirmed_at = ma.fields.AwareDateTime(allow_none=True)
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    offer_expires_at = ma.fields.AwareDateTime(allow_none=True)


CHECK_INBOX = (
    "Check the inbox of the address given: it receives the registration's state and its "
    "private manage token."
)


class SubmissionSchema(ma.Schema):
    """The same for a new, a known and an already registered address (DESIGN rule 9)."""

    status = ma.fields.String(required=True, validate=validate.OneOf(["accepted"]))
    detail = ma.fields.String(required=True)


class RegistrationListArgs(PageArgs):
    status = ma.fields.String(validate=_choice(RegistrationStatus))
    country = ma.fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Use a two-letter ISO 3166 code.")
    )


RegistrationPage = page_schema(RegistrationSchema, "RegistrationPage")


class InviteeSchema(InputSchema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    language = ma.fields.String(load_default="es", validate=_choice(LANGUAGES))


class InvitationRequestSchema(InputSchema):
    invitees = ma.fields.List(
        ma.fields.Nested(InviteeSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class InvitationCsvSchema(InputSchema):
    csv = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=imports.INVITATION_MAX_CHARS),
        metadata={
            "description": "Rows of `email[,language]`, a header row allowed; at most "
            f"{imports.INVITATION_MAX_ROWS} rows"
        },
    )


class InvitationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    state = ma.fields.Function(
        queries.invitation_state,
        required=True,
        metadata={"type": "string", "enum": ["invited", "opened", "registered", "declined"]},
    )
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    opened_at = ma.fields.AwareDateTime(allow_none=True)
    accepted_at = ma.fields.AwareDateTime(allow_none=True)
    declined_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)


class InviteResultSchema(ma.Schema):
    created = ma.fields.List(ma.fields.Nested(InvitationSchema), required=True)
    skipped = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "Addresses already invited"}
    )


InvitationPage = page_schema(InvitationSchema, "InvitationPage")

JOB_ID_PARAMETER = {
    "in": "path",
    "name": "job_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
LOCATION_HEADER = {
    "Location": {
        "description": "The job's status resource (`GET /events/{slug}/import-jobs/{job_id}`)",
        "schema": {"type": "string"},
    }
}


class ImportFailureSchema(ma.Schema):
    row = ma.fields.Integer(required=True, metadata={"description": "Line in the file"})
    email = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)


class ImportJobSchema(ma.Schema):
    """A bulk send queued to a worker, and how far it has got."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["invitations"]})
    event = ma.fields.String(required=True)
    source = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, metadata={"enum": ["queued", "running", "done", "failed"]}
    )
    finished = ma.fields.Boolean(required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Rows validated"})
    processed = ma.fields.Integer(required=True)
    sent = ma.fields.Integer(
        required=True, metadata={"description": "Invitations written, their email queued"}
    )
    skipped = ma.fields.Integer(
        required=True, metadata={"description": "Already invited, registered or declined"}
    )
    failed = ma.fields.Integer(required=True)
    pending = ma.fields.Integer(required=True)
    skipped_by = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={
            "description": "Skipped rows by reason: registered, declined, cancelled, invited"
        },
    )
    failures = ma.fields.List(
        ma.fields.Nested(ImportFailureSchema),
        required=True,
        metadata={"description": f"The first {import_jobs.FAILURES_SHOWN} failed rows"},
    )
    error = ma.fields.String(allow_none=True)
    rows_purged = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "The rows were deleted after the retention period "
            "(IMPORT_ROWS_RETENTION_DAYS): skipped_by and failures are empty, the counts stay"
        },
    )
    created_at = ma.fields.AwareDateTime(required=True)
    started_at = ma.fields.AwareDateTime(allow_none=True)
    finished_at = ma.fields.AwareDateTime(allow_none=True)


# --- errors ----------------------------------------------------------------------------------


def problem_of(error: errors.RegistrationError) -> ApiProblem:
    """The service's refusals as problem details: conflicts 409, rules 403, fields 422."""
    message = str(error.message)
    field = _FIELD_NAMES.get(error.field or "", error.field)
    params = [{"name": field, "in": "json", "reason": message}] if field else None
    if isinstance(error, errors.SeatBusy):
        # Nothing was written; the same request shortly after will most likely go through.
        retry = str(current_app.config["SEAT_BUSY_RETRY_AFTER_SECONDS"])
        return ApiProblem(503, message, headers={"Retry-After": retry})
    if isinstance(error, errors.AlreadyRegistered | errors.RegistrationClosed):
        return ApiProblem(409, message, invalid_params=params)
    if isinstance(error, errors.NotAllowed):
        return ApiProblem(403, message)
    if isinstance(error, errors.ImportRejected):
        rows = [
            {"name": f"csv[{row}]", "in": "json", "reason": str(msg)} for row, msg in error.errors
        ]
        return ApiProblem(422, message, invalid_params=rows)
    return ApiProblem(
        422,
        message,
        invalid_params=params or [{"name": "_schema", "in": "json", "reason": message}],
    )


def _own_registration(token: str) -> Registration:
    try:
        return service.registration_for_token(token)
    except errors.RegistrationError as error:
        raise ApiProblem(404, "There is no registration with this token.") from error


# --- registrations ---------------------------------------------------------------------------


@blp.post("/events/<slug>/registrations", parameters=[SLUG_PARAMETER])
@limiter.limit(registration_limit, methods=["POST"])
@idempotent
@blp.arguments(ApplicantSchema)
@blp.response(202, SubmissionSchema)
@problem_responses(blp, 404, 409)
def register(data: dict, slug: str):
    """Asks to register a person (no account needed); send an Idempotency-Key to retry safely.

    The answer is the same whether the address is new, known or already registered: the
    registration's state and its private manage token go by email to that address only.
    """
    event = event_for(slug)
    invitation_token = data.pop("invitation_token", None)
    applicant = service.Applicant(**data)
    try:
        service.request_registration(
            event.id, applicant, invitation_token=invitation_token, actor="api"
        )
    except errors.RegistrationError as error:
        raise problem_of(error) from error
    return {"status": "accepted", "detail": CHECK_INBOX}


@blp.get("/registrations/<token>", parameters=[TOKEN_PARAMETER])
@blp.response(200, RegistrationSchema)
@problem_responses(blp, 404)
def get_own_registration(token: str):
    """A registration, read with its private manage token."""
    return _own_registration(token)


@blp.post("/registrations/<token>/cancel", parameters=[TOKEN_PARAMETER])
@idempotent
@blp.response(200, RegistrationSchema)
@problem_responses(blp, 404, 409)
def cancel_own_registration(token: str):
    """Cancels a registration with its private manage token (cancelling twice changes nothing)."""
    registration = _own_registration(token)
    if registration.status == RegistrationStatus.cancelled:
        return registration  # already done: a retry gets the same answer
    try:
        return service.cancel_registration(token)
    except errors.RegistrationError as error:
        # e.g. a declined registration: its state, not the request, is in the way
        raise ApiProblem(409, str(error.message)) from error


def _visible_countries(event) -> set[str] | None:
    """None when the caller sees every registration of the event; else the countries they see."""
    user = require_user()
    if allowed(Action.view_registrations, event):
        return None
    countries = {
        c for c in focal_point_countries(user) if allowed(Action.view_country_registrations, c)
    }
    if not countries:
        raise ApiProblem(403, "Your token does not allow this operation.")
    return countries


@blp.get("/events/<slug>/registrations", parameters=[SLUG_PARAMETER])
@blp.doc(security=BEARER)
@blp.arguments(RegistrationListArgs, location="query", as_kwargs=True)
@blp.response(200, RegistrationPage)
@problem_responses(blp, 403, 404)
def list_registrations(slug: str, page: int, per_page: int, **filters):
    """The event's registrations in order of arrival: organizers see all, focal points their
    countries'."""
    require_user()
    event = event_for(slug)
    visible = _visible_countries(event)
    country = filters.get("country", "").upper() or None
    if visible is not None and country is not None and country not in visible:
        raise ApiProblem(403, "Your token does not allow this country's registrations.")
    rows = queries.registrations(
        event.id, queries.RegistrationFilter(status=filters.get("status"), country=country)
    )
    if visible is not None:
        rows = [r for r in rows if r.person.country_code in visible]
    return paginate_list(rows, page, per_page)


# --- invitations -----------------------------------------------------------------------------


@blp.post("/events/<slug>/invitations", parameters=[SLUG_PARAMETER])
@event_permission(Action.invite)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(InvitationRequestSchema)
@blp.response(201, InviteResultSchema)
@blp.alt_response(
    202,
    schema=ImportJobSchema,
    headers=LOCATION_HEADER,
    description="More invitees than INVITE_INLINE_MAX (50 by default): queued to a worker; "
    "follow the Location",
)
@problem_responses(blp, 403, 404)
def invite(data: dict, slug: str):
    """Invites a list of addresses; addresses already invited are skipped. A short list is
    sent at once (201); a longer one is queued to a worker (202 with the job)."""
    invitees = [
        invitations.Invitee(email=i["email"], language=i["language"], row=number)
        for number, i in enumerate(data["invitees"], start=1)
    ]
    if len(invitees) > current_app.config["INVITE_INLINE_MAX"]:
        job = _queue(invitees, "api")
        response = make_response(ImportJobSchema().dump(_job_data(job)), 202)
        response.headers["Location"] = _job_url(job)
        return response
    event, user = current_event(), require_user()
    try:
        result = invitations.invite(event.id, invitees, user.id)
    except errors.RegistrationError as error:
        raise problem_of(error) from error
    return {"created": result.created, "skipped": result.skipped}


@blp.post("/events/<slug>/invitations/csv", parameters=[SLUG_PARAMETER])
@event_permission(Action.invite)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(InvitationCsvSchema)
@blp.response(202, ImportJobSchema, headers=LOCATION_HEADER)
@problem_responses(blp, 403, 404, 422)
def invite_csv(data: dict, slug: str):
    """Invites the addresses of CSV text: validated now, all or nothing (422 naming every bad
    row as `csv[row]`), then queued to a worker. The answer (202) is the job; its Location
    tells how far the sending has got."""
    # imports.parse_invitation_csv turns anything the csv module refuses (a bare CR in a
    # field, an overlong field, a NUL) into a bad row: ImportRejected, a 422 naming csv[row].
    try:
        invitees = imports.parse_invitation_csv(data["csv"])
    except errors.RegistrationError as error:
        raise problem_of(error) from error
    job = _queue(invitees, "api-csv")
    return _job_data(job), 202, {"Location": _job_url(job)}


def _queue(invitees: list[invitations.Invitee], source: str):
    event, user = current_event(), require_user()
    try:
        return import_jobs.start_invitations(event.id, invitees, user.id, source)
    except errors.RegistrationError as error:
        raise problem_of(error) from error


def _job_url(job) -> str:
    return url_for("api_registrations.import_job", slug=job.event.slug, job_id=job.id)


def _job_data(job) -> dict:
    return import_jobs.progress(job.event_id, job.id).as_dict()


@blp.get("/events/<slug>/import-jobs/<int:job_id>", parameters=[SLUG_PARAMETER, JOB_ID_PARAMETER])
@event_permission(Action.invite)
@blp.doc(security=BEARER)
@blp.response(200, ImportJobSchema)
@problem_responses(blp, 403, 404)
def import_job(slug: str, job_id: int):
    """A bulk send's progress: rows processed, sent, skipped and failed (with each failed
    row's number and reason); poll it until `finished`."""
    try:
        return import_jobs.progress(current_event().id, job_id).as_dict()
    except import_jobs.ImportJobNotFound as error:
        raise ApiProblem(404, "There is no such import job for this event.") from error


@blp.get("/events/<slug>/invitations", parameters=[SLUG_PARAMETER])
@event_permission(Action.invite)
@blp.doc(security=BEARER)
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, InvitationPage)
@problem_responses(blp, 403, 404)
def list_invitations(slug: str, page: int, per_page: int):
    """The event's invitations, newest first, with their state."""
    return paginate_list(queries.invitations(current_event().id), page, per_page)


__all__ = ["blp", "current_api_user"]
