"""Check-in (record, undo), attendance totals and the annual report tables; and agendas.
Rules stay in lanet.attendance.service; reads come from its queries and report modules."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import validate

from lanet.accounts.permissions import Action, focal_point_countries
from lanet.agenda import queries as agenda_queries
from lanet.api.auth import (
    BEARER,
    allowed,
    require,
    require_user,
)
from lanet.api.core import resource_blueprint
from lanet.api.idempotency import idempotent
from lanet.api.lookups import SLUG_PARAMETER, current_event, event_permission
from lanet.api.problems import ApiProblem, problem_responses
from lanet.api.schemas import InputSchema, LanguageArgs, _choice
from lanet.attendance import queries as attendance_queries
from lanet.attendance import report, service
from lanet.attendance.models import ALL_YEARS, TotalDimension
from lanet.core.i18n import current_language
from lanet.events.access import event_for

blp = resource_blueprint(
    "api_attendance", "Agendas (public), check-in, attendance totals and the annual report."
)

ATTENDANCE_PARAMETER = {
    "in": "path",
    "name": "attendance_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
YEAR_PARAMETER = {
    "in": "path",
    "name": "year",
    "required": True,
    "schema": {"type": "integer", "minimum": 1901, "maximum": 2999},
}


# --- schemas ---------------------------------------------------------------------------------


class AgendaEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    starts_at = ma.fields.AwareDateTime(required=True, metadata={"description": "UTC"})
    ends_at = ma.fields.AwareDateTime(required=True, metadata={"description": "UTC"})
    title = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    room = ma.fields.String(allow_none=True)
    speakers = ma.fields.List(ma.fields.String(), required=True)


class AgendaSchema(ma.Schema):
    event = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    version = ma.fields.Integer(
        required=True, metadata={"description": "0 for a draft or an unpublished agenda"}
    )
    published_at = ma.fields.AwareDateTime(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(AgendaEntrySchema), required=True)


class _CheckInRequest(InputSchema):
    day = ma.fields.Date(
        metadata={"description": "Local date at the venue; defaults to today there"}
    )
    nonce = ma.fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A value per scan, so a scan sent twice counts once"},
    )


class CodeCheckInSchema(_CheckInRequest):
    code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The code of the participant's QR badge"},
    )


class RegistrationCheckInSchema(_CheckInRequest):
    registration_id = ma.fields.Integer(
        required=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


class CheckInSchema(ma.Schema):
    attendance_id = ma.fields.Integer(attribute="attendance.id", required=True)
    registration_id = ma.fields.Integer(attribute="registration.id", required=True)
    name = ma.fields.String(attribute="registration.person.full_name", required=True)
    day = ma.fields.Date(attribute="attendance.day", required=True)
    checked_in_at = ma.fields.AwareDateTime(attribute="attendance.checked_in_at", required=True)
    method = ma.fields.String(attribute="attendance.method", required=True)
    already = ma.fields.Boolean(
        required=True, metadata={"description": "Already checked in that day (a second scan)"}
    )


class UndoneSchema(ma.Schema):
    attendance_id = ma.fields.Integer(required=True)
    undone = ma.fields.Boolean(required=True)


class TotalsArgs(ma.Schema):
    dimension = ma.fields.String(
        load_default=str(TotalDimension.year), validate=_choice(TotalDimension)
    )
    year = ma.fields.Integer(
        load_default=ALL_YEARS,
        validate=validate.Range(min=ALL_YEARS, max=2999),
        metadata={"description": "0 for every year together"},
    )
    country = ma.fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Use a two-letter ISO 3166 code."),
        metadata={"description": "A focal point's country: its totals by year"},
    )


class TotalSchema(ma.Schema):
    dimension = ma.fields.String(required=True)
    year = ma.fields.Integer(required=True)
    key = ma.fields.String(required=True)
    participants = ma.fields.Integer(required=True)
    instructors = ma.fields.Integer(required=True)
    people = ma.fields.Integer(required=True)
    person_days = ma.fields.Integer(required=True)
    compiled_at = ma.fields.AwareDateTime(required=True)


class TotalsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TotalSchema), required=True)


_CELL = {"oneOf": [{"type": "string"}, {"type": "integer"}]}


class ReportTableSchema(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    columns = ma.fields.List(ma.fields.String(), required=True)
    rows = ma.fields.List(ma.fields.Raw(metadata={"type": "array", "items": _CELL}), required=True)
    footer = ma.fields.Raw(
        allow_none=True, metadata={"type": "array", "items": _CELL, "nullable": True}
    )


class ReportSchema(ma.Schema):
    year = ma.fields.Integer(required=True)
    language = ma.fields.String(required=True)
    tables = ma.fields.List(ma.fields.Nested(ReportTableSchema), required=True)


# --- agendas ---------------------------------------------------------------------------------


@blp.get("/events/<slug>/agenda", parameters=[SLUG_PARAMETER])
@blp.response(200, AgendaSchema)
@problem_responses(blp, 404)
def published_agenda(slug: str):
    """The agenda as last published (public); version 0 and no items before the first."""
    event = event_for(slug)
    version = agenda_queries.latest_version(event.id)
    return {
        "event": event.slug,
        "timezone": event.timezone,
        "version": version.version if version else 0,
        "published_at": version.published_at if version else None,
        "items": agenda_queries.published_entries(event.id),
    }


@blp.get("/events/<slug>/agenda/draft", parameters=[SLUG_PARAMETER])
@event_permission(Action.view_draft_agenda)
@blp.doc(security=BEARER)
@blp.response(200, AgendaSchema)
@problem_responses(blp, 403, 404)
def draft_agenda(slug: str):
    """The draft the organizers are editing (organizers and staff)."""
    event = current_event()
    items = [
        {
            "id": item.id,
            "kind": item.kind,
            "starts_at": item.starts_at,
            "ends_at": item.ends_at,
            "title": item.title,
            "description": item.description,
            "room": item.room,
            "speakers": [
                f"{s.person.full_name} ({s.affiliation})" if s.affiliation else s.person.full_name
                for s in item.speakers
            ],
        }
        for item in agenda_queries.draft_items(event.id)
    ]
    return {"event": event.slug, "timezone": event.timezone, "version": 0, "items": items}


# --- check-in --------------------------------------------------------------------------------


@blp.post("/events/<slug>/check-ins", parameters=[SLUG_PARAMETER])
@event_permission(Action.check_in)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(CodeCheckInSchema)
@blp.response(201, CheckInSchema)
@problem_responses(blp, 403, 404, 409)
def check_in(data: dict, slug: str):
    """Records a participant's presence for a day by the code of their badge."""
    return _check_in(
        slug,
        data,
        lambda event, day, nonce, user_id: service.check_in_by_code(
            event.id, data["code"], day, nonce=nonce, user_id=user_id
        ),
    )


@blp.post("/events/<slug>/check-ins/by-registration", parameters=[SLUG_PARAMETER])
@event_permission(Action.check_in)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(RegistrationCheckInSchema)
@blp.response(201, CheckInSchema)
@problem_responses(blp, 403, 404, 409)
def check_in_registration(data: dict, slug: str):
    """Records a participant's presence for a day by registration id (after a name search)."""
    return _check_in(
        slug,
        data,
        lambda event, day, nonce, user_id: service.check_in_registration(
            event.id, data["registration_id"], day, nonce=nonce, user_id=user_id
        ),
    )


def _check_in(slug: str, data: dict, record):
    event, user = current_event(), require_user()
    day: date = data.get("day") or service.default_day(event)
    try:
        return record(event, day, data.get("nonce"), user.id)
    except service.CheckInError as error:
        raise ApiProblem(409, str(error.message)) from error


@blp.delete(
    "/events/<slug>/check-ins/<int:attendance_id>",
    parameters=[SLUG_PARAMETER, ATTENDANCE_PARAMETER],
)
@blp.doc(security=BEARER)
@blp.response(200, UndoneSchema)
@problem_responses(blp, 403, 404)
def undo_check_in(slug: str, attendance_id: int):
    """Removes a mistaken check-in."""
    require_user()
    event = event_for(slug)
    user = require(Action.check_in, event)
    try:
        service.undo_check_in(event.id, attendance_id, user_id=user.id)
    except service.CheckInError as error:
        raise ApiProblem(404, str(error.message)) from error
    return {"attendance_id": attendance_id, "undone": True}


# --- totals and the annual report ------------------------------------------------------------


@blp.get("/attendance/totals")
@blp.doc(security=BEARER)
@blp.arguments(TotalsArgs, location="query", as_kwargs=True)
@blp.response(200, TotalsSchema)
@problem_responses(blp, 403)
def totals(dimension: str, year: int, country: str | None = None):
    """Attendance totals: by any dimension for staff; by year for a focal point's country."""
    user = require_user()
    if country is not None:
        country = country.upper()
        if not allowed(Action.view_country_totals, country):
            raise ApiProblem(403, "Your token does not allow this country's totals.")
        return {"items": attendance_queries.country_by_year(country)}
    if not allowed(Action.view_totals):
        hint = " Ask for your country with ?country=." if focal_point_countries(user) else ""
        raise ApiProblem(403, "Your token does not allow the Network's totals." + hint)
    return {"items": attendance_queries.totals_by(dimension, year)}


@blp.get("/reports/<int:year>", parameters=[YEAR_PARAMETER])
@blp.doc(security=BEARER)
@blp.arguments(LanguageArgs, location="query", as_kwargs=True)
@blp.response(200, ReportSchema)
@problem_responses(blp, 403)
def annual_report(year: int, lang: str | None = None):
    """The annual report's tables for a year (staff)."""
    require(Action.view_totals)
    if not 1901 <= year <= 2999:
        raise ApiProblem(
            422,
            "Year out of range.",
            invalid_params=[{"name": "year", "in": "path", "reason": "1901 to 2999"}],
        )
    language = lang or current_language()
    return {"year": year, "language": language, "tables": report.annual_report(year, language)}
