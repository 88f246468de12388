"""The bulletin: its public archive, and the Secretariat's operations (drafting, editing,
sending, contacts and lists) through the same services and permission as the pages."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from lanet.accounts.permissions import Action
from lanet.api.auth import BEARER, allowed, permission, require_user
from lanet.api.core import resource_blueprint
from lanet.api.idempotency import idempotent
from lanet.api.pagination import PageArgs, page_schema, paginate_list, paginate_query
from lanet.api.problems import ApiProblem, field_error, problem_responses
from lanet.api.schemas import InputSchema
from lanet.bulletin import contacts, queries, service
from lanet.bulletin.models import (
    LANGUAGES,
    Bulletin,
    BulletinSend,
    BulletinStatus,
    Contact,
    ContactKind,
    ContactStatus,
    DistributionList,
)
from lanet.extensions import db

blp = resource_blueprint(
    "api_bulletin",
    "The Network's bulletin: the public archive (anyone) and, for staff, drafting, editing, "
    "sending to distribution lists, contacts and lists.",
)

_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
BULLETIN_ID = {"in": "path", "name": "bulletin_id", "required": True, "schema": _ID}
SEND_ID = {"in": "path", "name": "send_id", "required": True, "schema": _ID}
LANGUAGE = {
    "in": "path",
    "name": "language",
    "required": True,
    "schema": {"type": "string", "enum": list(LANGUAGES)},
}


def _per_language(description: str) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": description}
    )


class BulletinSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    status = ma.fields.String(
        required=True, metadata={"description": "compiling, draft or published"}
    )
    titles = _per_language("Subject per language (es, pt, en)")
    published_at = ma.fields.AwareDateTime(allow_none=True)
    links = ma.fields.Method("_links")

    def _links(self, bulletin: Bulletin) -> dict:
        if bulletin.status != BulletinStatus.published:
            return {}
        return {language: service.archive_url(bulletin, language) for language in LANGUAGES}


class BulletinDetailSchema(BulletinSchema):
    html = _per_language("Sanitized HTML per language")
    bodies = _per_language("The Markdown per language")
    version = ma.fields.Integer(required=True)


BulletinPage = page_schema(BulletinSchema, "BulletinPage")


class NewBulletinSchema(InputSchema):
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)


class TextSchema(InputSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=service.MAX_TITLE))
    body = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=service.content.MAX_MARKDOWN)
    )


class SendRequestSchema(InputSchema):
    list_id = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class TestSendSchema(InputSchema):
    language = ma.fields.String(load_default="es", validate=validate.OneOf(LANGUAGES))


class TestSentSchema(ma.Schema):
    to = ma.fields.String(required=True)
    language = ma.fields.String(required=True)


class ImportSchema(InputSchema):
    csv = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=contacts.IMPORT_MAX_BYTES),
        metadata={
            "description": "The file's text: a header row naming the columns "
            + ", ".join(contacts.IMPORT_COLUMNS + contacts.IMPORT_OPTIONAL)
            + f" (email required); at most {contacts.IMPORT_MAX_ROWS} rows"
        },
    )


class ImportResultSchema(ma.Schema):
    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)
    kept_unsubscribed = ma.fields.Integer(required=True)


class ProgressSchema(ma.Schema):
    send_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "expanding or queued"})
    total = ma.fields.Integer(required=True)
    queued = ma.fields.Integer(required=True)
    sent = ma.fields.Integer(required=True)
    failed = ma.fields.Integer(required=True)
    skipped = ma.fields.Integer(
        required=True, metadata={"description": "Unsubscribed before their copy left"}
    )
    pending = ma.fields.Integer(required=True)
    finished = ma.fields.Boolean(required=True)


class ContactSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    country_code = ma.fields.String(allow_none=True)
    institution = ma.fields.String(allow_none=True)
    position = ma.fields.String(allow_none=True)
    language = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    consent_at = ma.fields.AwareDateTime(allow_none=True)
    consent_source = ma.fields.String(allow_none=True)


ContactPage = page_schema(ContactSchema, "ContactPage")


class ContactArgs(PageArgs):
    country = ma.fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    kind = ma.fields.String(validate=validate.OneOf([k.value for k in ContactKind]))
    status = ma.fields.String(validate=validate.OneOf([s.value for s in ContactStatus]))


class NewContactSchema(InputSchema):
    email = ma.fields.String(required=True, validate=validate.Length(max=254))
    name = ma.fields.String(load_default="", validate=validate.Length(max=250))
    country_code = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2)
    )
    institution = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )
    position = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    language = ma.fields.String(load_default="es", validate=validate.OneOf(LANGUAGES))
    kind = ma.fields.String(
        load_default=ContactKind.subscriber.value,
        validate=validate.OneOf([k.value for k in ContactKind]),
    )


class ListSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    countries = ma.fields.List(ma.fields.String(), required=True)
    kinds = ma.fields.List(ma.fields.String(), required=True)
    members = ma.fields.Integer(required=True, metadata={"description": "Subscribed contacts now"})


ListPage = page_schema(ListSchema, "ListPage")


class NewListSchema(InputSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    countries = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$")),
        load_default=list,
        validate=validate.Length(max=50),
    )
    kinds = ma.fields.List(
        ma.fields.String(validate=validate.OneOf([k.value for k in ContactKind])),
        load_default=list,
        validate=validate.Length(max=4),
    )


def _problem(error: service.BulletinError | contacts.ContactError) -> ApiProblem:
    status = getattr(error, "status", 422)
    if error.field and status == 422:
        return field_error(error.field, error.message, status)
    return ApiProblem(status, error.message)


# --- the archive (public) ------------------------------------------------------------------


@blp.get("/bulletins")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, BulletinPage)
def list_bulletins(page: int, per_page: int):
    """Published bulletins, newest first; staff also see drafts."""
    if allowed(Action.manage_bulletin):
        return paginate_list(queries.bulletins(), page, per_page)
    return paginate_list(queries.published(), page, per_page)


@blp.get("/bulletins/<int:bulletin_id>", parameters=[BULLETIN_ID])
@blp.response(200, BulletinDetailSchema)
@problem_responses(blp, 404)
def get_bulletin(bulletin_id: int):
    """One bulletin in every language (a draft only for staff)."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None or (
        bulletin.status != BulletinStatus.published and not allowed(Action.manage_bulletin)
    ):
        raise ApiProblem(404, "There is no published bulletin with this id.")
    return bulletin


# --- staff: drafting, editing, sending -----------------------------------------------------


@blp.post("/bulletins")
@permission(Action.manage_bulletin)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(NewBulletinSchema)
@blp.response(202, BulletinSchema)
@problem_responses(blp, 403)
def create_bulletin(data: dict):
    """A new bulletin for a period; a worker writes the draft (status `compiling`)."""
    try:
        return service.create(data["period_start"], data["period_end"], require_user().id)
    except service.BulletinError as error:
        raise _problem(error) from error


@blp.put("/bulletins/<int:bulletin_id>/texts/<language>", parameters=[BULLETIN_ID, LANGUAGE])
@permission(Action.manage_bulletin)
@blp.doc(security=BEARER)
@blp.arguments(TextSchema)
@blp.response(200, BulletinDetailSchema)
@problem_responses(blp, 403, 404, 409)
def edit_text(data: dict, bulletin_id: int, language: str):
    """Replaces one language's subject and Markdown (sanitized to HTML when saved)."""
    if language not in LANGUAGES:
        raise ApiProblem(404, "The language must be es, pt or en.")
    try:
        return service.edit(bulletin_id, language, data["title"], data["body"], require_user().id)
    except service.BulletinError as error:
        raise _problem(error) from error


@blp.post("/bulletins/<int:bulletin_id>/sends", parameters=[BULLETIN_ID])
@permission(Action.manage_bulletin)
@blp.doc(security=BEARER)
@blp.arguments(SendRequestSchema)
@blp.response(201, ProgressSchema)
@blp.alt_response(200, schema=ProgressSchema, description="Already sent to this list")
@problem_responses(blp, 403, 404, 409)
def send_bulletin(data: dict, bulletin_id: int):
    """Sends the bulletin to a list (201); asking again for the same list sends nothing and
    answers 200 with that send's progress: idempotent by (bulletin, list)."""
    if db.session.get(DistributionList, data["list_id"]) is None:
        raise field_error("list_id", "There is no distribution list with this id.")
    try:
        send, started = service.start_send(bulletin_id, data["list_id"], require_user().id)
    except service.BulletinError as error:
        raise _problem(error) from error
    return service.progress(send.id).as_dict(), 201 if started else 200


@blp.post("/bulletins/<int:bulletin_id>/test-sends", parameters=[BULLETIN_ID])
@permission(Action.manage_bulletin)
@blp.doc(security=BEARER)
@blp.arguments(TestSendSchema)
@blp.response(202, TestSentSchema)
@problem_responses(blp, 403, 404, 409)
def test_send(data: dict, bulletin_id: int):
    """A copy to the token's own address, as a recipient would get it (queued now)."""
    user = require_user()
    try:
        service.test_send(bulletin_id, user, data["language"])
    except service.BulletinError as error:
        raise _problem(error) from error
    return {"to": user.email, "language": data["language"]}


@blp.get("/bulletin-sends/<int:send_id>", parameters=[SEND_ID])
@permission(Action.manage_bulletin)
@blp.doc(security=BEARER)
@blp.response(200, ProgressSchema)
@problem_responses(blp, 403, 404)
def send_progress(send_id: int):
    """Queued, sent, failed and skipped so far, from the outbox."""
    if db.session.get(BulletinSend, send_id) is None:
        raise ApiProblem(404, "There is no send with this id.")
    return service.progress(send_id).as_dict()


# --- staff: contacts and lists -------------------------------------------------------------


@blp.get("/contacts")
@permission(Action.manage_bulletin)
@blp.doc(security=BEARER)
@blp.arguments(ContactArgs, location="query", as_kwargs=True)
@blp.response(200, ContactPage)
@problem_responses(blp, 403)
def list_contacts(page: int, per_page: int, **filters):
    """Contacts by email, filtered by country, kind or status."""
    query = select(Contact).order_by(Contact.email, Contact.id)
    if filters.get("country"):
        query = query.where(Contact.country_code == filters["country"].upper())
    if filters.get("kind"):
        query = query.where(Contact.kind == filters["kind"])
    if filters.get("status"):
        query = query.where(Contact.status == filters["status"])
    return paginate_query(query, page, per_page)


@blp.post("/contacts")
@permission(Action.manage_bulletin)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(NewContactSchema)
@blp.response(201, ContactSchema)
@problem_responses(blp, 403)
def add_contact(data: dict):
    """A contact who agreed to receive the bulletin (consent recorded now)."""
    try:
        return contacts.create_contact(contacts.ContactData(**data), require_user().id)
    except contacts.ContactError as error:
        db.session.rollback()
        raise _problem(error) from error


@blp.post("/contacts/import")
@permission(Action.manage_bulletin)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(ImportSchema)
@blp.response(200, ImportResultSchema)
@problem_responses(blp, 403)
def import_contacts(data: dict):
    """A CSV import, all or nothing: any bad row writes nothing, and every bad row is named
    (`invalid_params`, one entry per problem, `name` "csv", the row in `reason`)."""
    try:
        parsed = contacts.parse_csv(data["csv"])
        result = contacts.import_contacts(parsed, require_user().id)
    except contacts.ImportRejected as error:
        db.session.rollback()
        raise ApiProblem(
            422,
            error.message,
            invalid_params=[
                {"name": "csv", "in": "json", "reason": f"row {row}: {message}"}
                for row, message in error.errors
            ],
        ) from error
    return result


@blp.get("/distribution-lists")
@permission(Action.manage_bulletin)
@blp.doc(security=BEARER)
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, ListPage)
@problem_responses(blp, 403)
def list_lists(page: int, per_page: int):
    """Lists with how many subscribed contacts each holds now."""
    rows = [
        {
            "id": row.distribution_list.id,
            "name": row.distribution_list.name,
            "countries": row.distribution_list.countries,
            "kinds": row.distribution_list.kinds,
            "members": row.members,
        }
        for row in queries.lists()
    ]
    return paginate_list(rows, page, per_page)


@blp.post("/distribution-lists")
@permission(Action.manage_bulletin)
@idempotent
@blp.doc(security=BEARER)
@blp.arguments(NewListSchema)
@blp.response(201, ListSchema)
@problem_responses(blp, 403)
def create_list(data: dict):
    """A list by countries and kinds of contact (empty: all)."""
    try:
        created = contacts.create_list(contacts.ListData(**data), require_user().id)
    except contacts.ContactError as error:
        db.session.rollback()
        raise _problem(error) from error
    return {
        "id": created.id,
        "name": created.name,
        "countries": created.countries,
        "kinds": created.kinds,
        "members": contacts.member_count(created),
    }
