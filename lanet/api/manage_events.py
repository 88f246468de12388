"""Event management through the API: create, edit, seats and quotas, move, cancel, open and
close registration, organizers, series and cycles. The same services and permission checks as
the workspace pages; a refused value is a 422 naming its field, and nothing is written."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from lanet.accounts.models import User
from lanet.accounts.permissions import Action, is_staff
from lanet.api.auth import BEARER, permission, require_user
from lanet.api.core import resource_blueprint
from lanet.api.idempotency import idempotent
from lanet.api.lookups import SLUG_PARAMETER, current_event, event_permission
from lanet.api.pagination import PageArgs, page_schema, paginate_list
from lanet.api.problems import ApiProblem, problem_responses
from lanet.api.schemas import EventDetailSchema, InputSchema, _choice
from lanet.events import editing, lifecycle, workspace
from lanet.events import series as series_service
from lanet.events.access import event_for
from lanet.events.models import AttendanceMode, EventKind, Series
from lanet.events.validation import (
    EDITABLE_FIELDS,
    MAX_CAPACITY,
    EventInput,
    EventInvalid,
    proposed_timezone,
)
from lanet.extensions import db
from lanet.network.models import LANGUAGES

blp = resource_blueprint(
    "api_manage_events",
    "Managing events, series and cycles (bearer token: staff, or the event's organizers).",
)

# The services' field names, as this API names them.
_API_FIELDS = {"cycle_id": "cycle", "part_number": "part", "reason_es": "reason"}
_CODE = validate.Regexp(r"^[A-Z]{2}$", error="Use a two-letter ISO 3166 code.")
_SLUG = validate.Regexp(
    r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Use lower-case letters, digits and single hyphens."
)
_NOT_BLANK = validate.Regexp(r"^\s*\S", error="Must not be blank.")
_LANGUAGE_KEYS = ma.fields.String(validate=_choice(LANGUAGES))


def _translations(limit: int, description: str) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=_LANGUAGE_KEYS,
        values=ma.fields.String(validate=validate.Length(max=limit)),
        metadata={"description": description},
    )


class EventWriteSchema(InputSchema):
    kind = ma.fields.String(required=True, validate=_choice(EventKind))
    slug = ma.fields.String(
        required=True,
        validate=[validate.Length(min=3, max=80), _SLUG],
        metadata={"description": "The event's address: /events/<slug>"},
    )
    title = ma.fields.String(required=True, validate=[validate.Length(max=300), _NOT_BLANK])
    title_translations = _translations(300, "Titles in es/pt/en")
    description_translations = _translations(20_000, "Descriptions in es/pt/en")
    audience_translations = _translations(2_000, "Audience in es/pt/en")
    attendance_mode = ma.fields.String(
        load_default=str(AttendanceMode.in_person), validate=_choice(AttendanceMode)
    )
    venue = ma.fields.String(allow_none=True, validate=validate.Length(max=300))
    city = ma.fields.String(allow_none=True, validate=validate.Length(max=120))
    country_code = ma.fields.String(allow_none=True, validate=_CODE)
    online_url = ma.fields.URL(
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=500),
        metadata={"description": "Join link: shown only to confirmed participants"},
    )
    timezone = ma.fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "IANA time zone, e.g. Europe/Warsaw; when left out, the country's"
            " (else UTC)",
            "example": "Europe/Warsaw",
        },
    )
    start_date = ma.fields.Date(required=True, metadata={"description": "Local first day"})
    end_date = ma.fields.Date(required=True, metadata={"description": "Local last day"})
    start_time = ma.fields.Time(allow_none=True, metadata={"description": "Local, short events"})
    end_time = ma.fields.Time(allow_none=True, metadata={"description": "Local, short events"})
    capacity = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    quotas = ma.fields.Dict(
        keys=ma.fields.String(validate=_CODE),
        values=ma.fields.Integer(validate=validate.Range(min=0, max=MAX_CAPACITY)),
        metadata={"description": "Seats per country; their sum at most the capacity"},
    )
    registration_opens_at = ma.fields.AwareDateTime(allow_none=True)
    registration_closes_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Not after the event starts"}
    )
    requires_approval = ma.fields.Boolean()
    languages = ma.fields.List(
        ma.fields.String(validate=_choice(LANGUAGES)), validate=validate.Length(min=1, max=3)
    )
    is_public = ma.fields.Boolean(metadata={"description": "False: unlisted"})
    supporters = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        validate=validate.Length(max=50),
        metadata={"description": "Institution ids of supporting organizations"},
    )
    series = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "Series code"}
    )
    cycle = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10_000))
    part = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=12))


class EventCreateSchema(EventWriteSchema):
    copy_from = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=80),
        metadata={"description": "Slug of an earlier event whose agenda skeleton is copied"},
    )
    organizers = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
        validate=validate.Length(max=50),
        metadata={"description": "User ids who organize the new event"},
    )


class SeatsSchema(InputSchema):
    capacity = ma.fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY)
    )
    quotas = ma.fields.Dict(
        keys=ma.fields.String(validate=_CODE),
        values=ma.fields.Integer(validate=validate.Range(min=0, max=MAX_CAPACITY)),
        required=True,
    )


class MoveSchema(InputSchema):
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    start_time = ma.fields.Time(allow_none=True)
    end_time = ma.fields.Time(allow_none=True)


class CancelSchema(InputSchema):
    reason = ma.fields.Dict(
        keys=_LANGUAGE_KEYS,
        values=ma.fields.String(validate=[validate.Length(max=2000), _NOT_BLANK]),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Why, in es/pt/en: each registrant reads their language's"},
    )


class StatusSchema(InputSchema):
    action = ma.fields.String(required=True, validate=validate.OneOf(["open", "close", "held"]))


class OrganizerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(attribute="person.full_name", required=True)


class OrganizerAddSchema(InputSchema):
    user_id = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254))
    first_name = ma.fields.String(load_default="", validate=validate.Length(max=120))
    last_name = ma.fields.String(load_default="", validate=validate.Length(max=120))
    language = ma.fields.String(load_default="es", validate=_choice(LANGUAGES))


class CyclePartSchema(ma.Schema):
    slug = ma.fields.String(required=True)
    part = ma.fields.Integer(attribute="part_number", required=True)
    title = ma.fields.String(required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    status = ma.fields.String(required=True)


class CycleSchema(ma.Schema):
    number = ma.fields.Integer(required=True)
    parts = ma.fields.List(ma.fields.Nested(CyclePartSchema), required=True)


class SeriesSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name_translations = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), required=True
    )
    description = ma.fields.String(allow_none=True)
    parts_per_cycle = ma.fields.Integer(required=True)
    cycles = ma.fields.List(ma.fields.Nested(CycleSchema), required=True)


class SeriesCreateSchema(InputSchema):
    code = ma.fields.String(required=True, validate=[validate.Length(min=3, max=64), _SLUG])
    names = ma.fields.Dict(
        keys=_LANGUAGE_KEYS,
        values=ma.fields.String(validate=[validate.Length(max=300), _NOT_BLANK]),
        required=True,
        validate=validate.Length(min=1),
    )
    parts_per_cycle = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=12))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))


SERIES_PARAMETER = {
    "in": "path",
    "name": "code",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
}
USER_PARAMETER = {
    "in": "path",
    "name": "user_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


# --- helpers ---------------------------------------------------------------------------------


def _refused(error: EventInvalid) -> ApiProblem:
    params = [
        {"name": _API_FIELDS.get(name, name), "in": "json", "reason": str(message)}
        for name, message in error.errors.items()
    ]
    return ApiProblem(422, "The request has fields that are not acceptable.", invalid_params=params)


def _cycle_id(data: dict[str, Any]) -> int | None:
    """The cycle named by `series` and `cycle`, or a 422 naming what is wrong."""
    code, number = data.get("series"), data.get("cycle")
    if not code and number is None:
        return None
    found = series_service.series_by_code(code) if code else None
    if found is None:
        raise _refused(EventInvalid({"series": "There is no series with this code."}))
    cycle = series_service.cycle_of(found, number) if number is not None else None
    if cycle is None:
        raise _refused(EventInvalid({"cycle": "This series has no cycle with this number."}))
    return cycle.id


# The editable fields this API takes under their own names; the cycle and part are named
# "series"/"cycle" and "part" here (`_merge`).
_PLAIN = tuple(name for name in EDITABLE_FIELDS if name not in ("cycle_id", "part_number"))


def _merge(data: EventInput, body: dict[str, Any]) -> EventInput:
    for name in _PLAIN:
        if name in body:
            setattr(data, name, body[name])
    if "series" in body or "cycle" in body:
        data.cycle_id = _cycle_id(body)
    if "part" in body:
        data.part_number = body["part"]
    return data


# --- events ----------------------------------------------------------------------------------


def _creator_required(view):
    """Checks the token may create events before the body is read (401/403 first)."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not workspace.may_create(require_user()):
            raise ApiProblem(403, "Your token does not allow creating events.")
        return view(*args, **kwargs)

    return wrapped


@blp.post("/events")
@_creator_required
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(EventCreateSchema)
@blp.response(201, EventDetailSchema)
@problem_responses(blp, 403, 404, 422)
def create_event(data: dict):
    """Creates a planned event (staff; organizers inside a series they organize). With
    `copy_from`, the earlier event's agenda skeleton is copied, moved to the new dates."""
    user = require_user()
    # The same rule as the page's copy: an event the caller may manage (404 when hidden
    # from them, 403 when only seen).
    source = event_for(data["copy_from"], Action.manage_event) if data.get("copy_from") else None
    base = EventInput(
        kind=data["kind"],
        title=data["title"],
        timezone=data.get("timezone") or proposed_timezone(data.get("country_code")) or "UTC",
        start_date=data["start_date"],
        end_date=data["end_date"],
    )
    event_input = _merge(base, data)
    if not workspace.may_create(user, event_input.cycle_id) or (
        not is_staff(user) and event_input.cycle_id is None
    ):
        raise ApiProblem(403, "Organizers add events only to a series they organize.")
    organizers = list(data.get("organizers") or [])
    if not is_staff(user) and user.id not in organizers:
        organizers.append(user.id)
    try:
        return editing.create_event(
            event_input, user_id=user.id, organizer_ids=organizers, copied_from=source
        )
    except EventInvalid as error:
        raise _refused(error) from error


@blp.patch("/events/<slug>", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@blp.doc(security=BEARER)
@blp.arguments(EventWriteSchema(partial=True))
@blp.response(200, EventDetailSchema)
@problem_responses(blp, 403, 404, 422)
def update_event(data: dict, slug: str):
    """Changes the fields given. Dates and time zone change only through `move`; capacity and
    quotas never go below the seats already confirmed."""
    event, user = current_event(), require_user()
    if not is_staff(user) and ({"series", "cycle", "part"} & set(data)):
        raise ApiProblem(403, "Only staff change the series of an event.")
    try:
        return editing.update_event(
            event.id, _merge(EventInput.from_event(event), data), user_id=user.id
        )
    except EventInvalid as error:
        raise _refused(error) from error


@blp.put("/events/<slug>/seats", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@blp.doc(security=BEARER)
@blp.arguments(SeatsSchema)
@blp.response(200, EventDetailSchema)
@problem_responses(blp, 403, 404, 422)
def set_seats(data: dict, slug: str):
    """Sets the capacity and the country quotas (all of them: a country left out has none),
    under the seat lock; freed seats go to the waiting list at once."""
    try:
        return editing.set_capacity(
            current_event().id, data["capacity"], data["quotas"], user_id=require_user().id
        )
    except EventInvalid as error:
        raise _refused(error) from error


@blp.post("/events/<slug>/move", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(MoveSchema)
@blp.response(200, EventDetailSchema)
@problem_responses(blp, 403, 404, 422)
def move_event(data: dict, slug: str):
    """New local dates (and times) in the event's time zone; every confirmed and waitlisted
    registrant gets an iMIP REQUEST with a raised SEQUENCE and what changed."""
    try:
        return lifecycle.move(
            current_event().id,
            data["start_date"],
            data["end_date"],
            data.get("start_time"),
            data.get("end_time"),
            user_id=require_user().id,
        )
    except EventInvalid as error:
        raise _refused(error) from error


@blp.post("/events/<slug>/cancel", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(CancelSchema)
@blp.response(200, EventDetailSchema)
@problem_responses(blp, 403, 404, 409, 422)
def cancel_event(data: dict, slug: str):
    """Cancels with a reason: registrants get iMIP CANCEL for the same UID, the waiting list
    ends, the event stays listed as cancelled. Cancelling twice is a 409."""
    event = current_event()
    if event.status == "cancelled":
        raise ApiProblem(409, "The event is already cancelled.")
    try:
        return lifecycle.cancel(event.id, data["reason"], user_id=require_user().id)
    except EventInvalid as error:
        raise _refused(error) from error


@blp.post("/events/<slug>/status", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(StatusSchema)
@blp.response(200, EventDetailSchema)
@problem_responses(blp, 403, 404, 422)
def change_status(data: dict, slug: str):
    """Opens or closes registration now, or records the event as held. An event that has
    started cannot be opened."""
    actions = {
        "open": lifecycle.open_registration,
        "close": lifecycle.close_registration,
        "held": lifecycle.mark_held,
    }
    try:
        return actions[data["action"]](current_event().id, user_id=require_user().id)
    except EventInvalid as error:
        raise _refused(error) from error


# --- organizers ------------------------------------------------------------------------------


@blp.get("/events/<slug>/organizers", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@blp.doc(security=BEARER)
@blp.response(200, OrganizerSchema(many=True))
@problem_responses(blp, 403, 404)
def list_organizers(slug: str):
    """The users who organize the event."""
    return editing.organizers_of(current_event().id)


@blp.post("/events/<slug>/organizers", parameters=[SLUG_PARAMETER])
@event_permission(Action.manage_event)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(OrganizerAddSchema)
@blp.response(201, OrganizerSchema)
@problem_responses(blp, 403, 404, 422)
def add_organizer(data: dict, slug: str):
    """Adds an existing user (`user_id`) or invites an address (`email`, names) to organize."""
    event = current_event()
    try:
        if data.get("user_id"):
            editing.add_organizer(event.id, data["user_id"])
            return db.session.get(User, data["user_id"])
        if data.get("email"):
            return editing.invite_organizer(
                event.id, data["email"], data["first_name"], data["last_name"], data["language"]
            )
    except EventInvalid as error:
        raise _refused(error) from error
    except ValueError as error:  # the accounts service names its field
        field = getattr(error, "field", None) or "email"
        raise _refused(EventInvalid({field: str(getattr(error, "message", error))})) from error
    raise _refused(EventInvalid({"user_id": "Give a user_id or an email."}))


@blp.delete("/events/<slug>/organizers/<int:user_id>", parameters=[SLUG_PARAMETER, USER_PARAMETER])
@event_permission(Action.manage_event)
@blp.doc(security=BEARER)
@blp.response(204)
@problem_responses(blp, 403, 404)
def remove_organizer(slug: str, user_id: int):
    """Ends the user's organizer role for this event."""
    if not editing.remove_organizer(current_event().id, user_id):
        raise ApiProblem(404, "This user does not organize this event.")
    return None


# --- series and cycles -----------------------------------------------------------------------


def _series_or_404(code: str) -> Series:
    found = series_service.series_by_code(code) if len(code) <= 64 else None
    if found is None:
        raise ApiProblem(404, "There is no series with this code.")
    return found


SeriesPage = page_schema(SeriesSchema, "SeriesPage")


@blp.get("/series")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, SeriesPage)
def list_series(page: int, per_page: int):
    """Every series with its cycles and their public parts."""
    found = [_series_data(s) for s in db.session.scalars(select(Series).order_by(Series.code))]
    return paginate_list(found, page, per_page)


@blp.get("/series/<code>", parameters=[SERIES_PARAMETER])
@blp.response(200, SeriesSchema)
@problem_responses(blp, 404)
def get_series(code: str):
    """One series: its cycles, parts and dates."""
    return _series_data(_series_or_404(code))


def _series_data(found: Series) -> dict[str, Any]:
    return {
        "code": found.code,
        "name_translations": found.name_translations or {},
        "description": found.description,
        "parts_per_cycle": found.parts_per_cycle,
        "cycles": [
            {"number": c.number, "parts": [p for p in c.parts if p.is_public]} for c in found.cycles
        ],
    }


@blp.post("/series")
@permission(Action.create_event)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(SeriesCreateSchema)
@blp.response(201, SeriesSchema)
@problem_responses(blp, 403, 422)
def create_series(data: dict):
    """Creates a series (staff)."""
    try:
        created = series_service.create_series(
            data["code"],
            data["names"],
            data["parts_per_cycle"],
            data.get("description"),
            user_id=require_user().id,
        )
    except EventInvalid as error:
        raise _refused(error) from error
    return _series_data(created)


@blp.post("/series/<code>/cycles", parameters=[SERIES_PARAMETER])
@permission(Action.create_event)
@idempotent
@blp.doc(security=BEARER)
@blp.response(201, CycleSchema)
@problem_responses(blp, 403, 404)
def open_cycle(code: str):
    """Opens the series' next cycle (staff); add its parts with POST /events."""
    cycle = series_service.open_next_cycle(_series_or_404(code).id, user_id=require_user().id)
    return {"number": cycle.number, "parts": []}
