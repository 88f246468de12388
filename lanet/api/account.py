"""Who the token belongs to: lets a client check its token before doing anything else."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lanet.accounts.models import ApiToken, User
from lanet.accounts.permissions import Action
from lanet.api import tokens
from lanet.api.auth import BEARER, allowed, current_api_token, permission, require_user
from lanet.api.core import resource_blueprint
from lanet.api.pagination import PageArgs, page_schema, paginate_query
from lanet.api.problems import ApiProblem, problem_responses
from lanet.api.schemas import InputSchema, MeSchema
from lanet.extensions import db

blp = resource_blueprint("api_account", "The caller's account and API tokens (bearer token).")


@blp.get("/me")
@blp.doc(security=BEARER)
@blp.response(200, MeSchema)
def me():
    """The user behind the bearer token, with its roles."""
    user = require_user()
    token = current_api_token()
    return {
        "id": user.id,
        "email": user.email,
        "token_name": token.name if token else "",
        "roles": [
            {"role": r.role, "event_id": r.event_id, "country_code": r.country_code}
            for r in user.roles
        ],
    }


# --- tokens ----------------------------------------------------------------------------------


class TokenSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    user_email = ma.fields.String(attribute="user.email", required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    last_used_at = ma.fields.AwareDateTime(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = ma.fields.String(
        required=True, metadata={"description": "Shown this once; only its hash is kept"}
    )


class IssueTokenSchema(InputSchema):
    email = ma.fields.Email(required=True, metadata={"description": "The user the token acts as"})
    name = ma.fields.String(
        required=True,
        validate=[validate.Length(max=120), validate.Regexp(r"^\s*\S", error="Must not be blank.")],
        metadata={"description": "What the token is for, e.g. 'ministry sync'"},
    )


TokenPage = page_schema(TokenSchema, "TokenPage")
TOKEN_ID_PARAMETER = {
    "in": "path",
    "name": "token_id",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


@blp.get("/tokens")
@blp.doc(security=BEARER)
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, TokenPage)
def list_tokens(page: int, per_page: int):
    """The caller's own tokens; staff see every token."""
    user = require_user()
    query = select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id)
    if not allowed(Action.manage_users):
        query = query.where(ApiToken.user_id == user.id)
    return paginate_query(query, page, per_page)


@blp.post("/tokens")
@permission(Action.manage_users)
@blp.doc(security=BEARER)
@blp.arguments(IssueTokenSchema)
@blp.response(201, IssuedTokenSchema)
@problem_responses(blp, 403, 404, 409)
def issue(data: dict):
    """Issues a token for a user (staff). Not idempotent on purpose: a stored response would
    keep the plain token; a retry issues another token, and the unused one can be revoked."""
    target = db.session.scalar(select(User).where(User.email == data["email"].strip().lower()))
    if target is None:
        raise ApiProblem(404, "There is no user with this email address.")
    try:
        token, plain = tokens.issue_token(target.id, data["name"])
    except tokens.TokenError as error:
        raise ApiProblem(409, str(error)) from error
    return {
        "id": token.id,
        "name": token.name,
        "user": target,
        "created_at": token.created_at,
        "last_used_at": None,
        "revoked_at": None,
        "token": plain,
    }


@blp.delete("/tokens/<int:token_id>", parameters=[TOKEN_ID_PARAMETER])
@blp.doc(security=BEARER)
@blp.response(200, TokenSchema)
@problem_responses(blp, 403, 404)
def revoke(token_id: int):
    """Revokes a token: your own, or any token for staff. Revoking twice changes nothing."""
    user = require_user()
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise ApiProblem(404, "There is no token with this id.")
    if token.user_id != user.id and not allowed(Action.manage_users):
        raise ApiProblem(403, "Only staff revoke other users' tokens.")
    return tokens.revoke_token(token.id)
