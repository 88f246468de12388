"""What the API reads and writes, as marshmallow schemas (they also make the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from lanet.events.models import EventKind, EventStatus
from lanet.events.queries import is_past
from lanet.network.models import LANGUAGES


def _choice(values) -> validate.OneOf:
    return validate.OneOf([str(v) for v in values])


class EventFilterArgs(ma.Schema):
    year = ma.fields.Integer(
        validate=validate.Range(min=1901, max=2999), metadata={"example": 2014}
    )
    country = ma.fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Use a two-letter ISO 3166 code."),
        metadata={"description": "ISO 3166 alpha-2 code of the host country", "example": "AR"},
    )
    kind = ma.fields.String(validate=_choice(EventKind))
    status = ma.fields.String(validate=_choice(EventStatus))
    when = ma.fields.String(
        validate=validate.OneOf(["upcoming", "past"]),
        metadata={
            "description": "upcoming: through the event's last day in its own time zone;"
            " past: after it, or recorded as held (whatever the status otherwise)"
        },
    )


class PastField(ma.fields.Boolean):
    """Read-only: whether the event is past (`lanet.events.queries.is_past`), computed now."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return is_past(obj)


class CountrySchema(ma.Schema):
    code = ma.fields.String(required=True)
    name_es = ma.fields.String(required=True)
    name_pt = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)


class CycleRefSchema(ma.Schema):
    series = ma.fields.String(
        attribute="series.code", required=True, metadata={"description": "Code of the series"}
    )
    number = ma.fields.Integer(required=True)


class QuotaSchema(ma.Schema):
    country_code = ma.fields.String(required=True)
    seats = ma.fields.Integer(required=True)
    seats_confirmed = ma.fields.Integer(required=True)


class PartnerSchema(ma.Schema):
    name = ma.fields.String(attribute="institution.name", required=True)
    code = ma.fields.String(attribute="institution.code", allow_none=True)
    role = ma.fields.String(required=True)


class EventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=_choice(EventKind))
    status = ma.fields.String(required=True, validate=_choice(EventStatus))
    title = ma.fields.String(required=True)
    title_translations = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), required=True
    )
    description = ma.fields.String(allow_none=True)
    venue = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    country_code = ma.fields.String(allow_none=True)
    timezone = ma.fields.String(required=True, metadata={"description": "IANA time zone"})
    start_date = ma.fields.Date(required=True, metadata={"description": "Local date"})
    end_date = ma.fields.Date(required=True, metadata={"description": "Local date"})
    date_precision = ma.fields.String(required=True)
    starts_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "UTC"})
    ends_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "UTC"})
    languages = ma.fields.List(ma.fields.String(), attribute="language_list", required=True)
    capacity = ma.fields.Integer(allow_none=True)
    seats_confirmed = ma.fields.Integer(required=True)
    requires_approval = ma.fields.Boolean(required=True)
    registration_opens_at = ma.fields.AwareDateTime(allow_none=True)
    registration_closes_at = ma.fields.AwareDateTime(allow_none=True)
    agenda_version = ma.fields.Integer(required=True)
    cycle = ma.fields.Nested(CycleRefSchema, allow_none=True)
    part_number = ma.fields.Integer(allow_none=True, metadata={"description": "Part of the cycle"})
    past = PastField(
        dump_only=True,
        required=True,
        metadata={
            "description": "True after the event's last day in its own time zone, or once it is"
            " recorded as held; the status says what became of it (planned, open or closed on a"
            " past event: not recorded as held)"
        },
    )


class EventDetailSchema(EventSchema):
    country = ma.fields.Nested(CountrySchema, allow_none=True)
    audience = ma.fields.String(allow_none=True)
    description_translations = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    audience_translations = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    attendance_mode = ma.fields.String(
        required=True, metadata={"description": "in_person, online or hybrid"}
    )
    is_public = ma.fields.Boolean(required=True)
    cancellation_reason = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        allow_none=True,
        metadata={"description": "Why it was cancelled, in es/pt/en"},
    )
    note = ma.fields.String(allow_none=True)
    quotas = ma.fields.List(ma.fields.Nested(QuotaSchema), required=True)
    partners = ma.fields.List(ma.fields.Nested(PartnerSchema), required=True)


class LanguageArgs(ma.Schema):
    lang = ma.fields.String(validate=_choice(LANGUAGES))


class MeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    token_name = ma.fields.String(required=True)
    roles = ma.fields.List(ma.fields.Dict(), required=True)


def unstorable(text: str) -> bool:
    """Text no database column can hold: NUL (PostgreSQL refuses it) or lone surrogates
    (not encodable as UTF-8)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_fields(value, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "_schema"] if unstorable(value) else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += _unstorable_fields(item, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            found += _unstorable_fields(item, f"{path}.{index}" if path else str(index))
        return found
    return []


class InputSchema(ma.Schema):
    """A request body: refuses text that could not be stored, naming the fields, before any
    other validation runs."""

    @ma.pre_load
    def _storable_text(self, data, **_kwargs):
        bad = _unstorable_fields(data)
        if bad:
            raise ma.ValidationError(
                {name: ["Contains characters that cannot be stored."] for name in bad}
            )
        return data
