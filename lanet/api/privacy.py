"""Stored answers of idempotent API requests: declared for lanet.privacy.

A registration made through the API keeps its answer (with the person's name and email)
for a day, so that a retry gets the same answer. Erasure blanks the person in those answers
and keeps the rows: a retry of the erased person's registration is recognised and answered
with the blanked copy instead of registering them again.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from lanet.api.models import IdempotencyKey
from lanet.core.personal_data import (
    PersonalData,
    blank_mentions,
    declare,
    mentions,
    not_personal,
    sql_mentions,
    strong_identifiers,
)
from lanet.extensions import db
from lanet.network.models import Person


def _naming(person: Person) -> list[IdempotencyKey]:
    identifiers = strong_identifiers(person)
    candidates = db.session.scalars(
        select(IdempotencyKey)
        .where(
            or_(
                sql_mentions(IdempotencyKey.response_body, identifiers),
                sql_mentions(IdempotencyKey.response_headers, identifiers),
            )
        )
        .order_by(IdempotencyKey.id)
    )
    return [
        r
        for r in candidates
        if mentions(r.response_body, identifiers) or mentions(r.response_headers, identifiers)
    ]


def erase_stored_answers(person: Person) -> None:
    identifiers = strong_identifiers(person)
    for record in _naming(person):
        record.response_body = blank_mentions(record.response_body, identifiers)
        record.response_headers = blank_mentions(record.response_headers, identifiers)


declare(
    PersonalData(
        name="api.idempotency",
        columns={"api_idempotency_keys": ["response_body", "response_headers"]},
        erase=erase_stored_answers,
        description="answers kept a day for retries; the person is blanked in them",
    )
)
not_personal(
    "api_idempotency_keys",
    ["request_hash"],
    "a SHA-256 of the request, kept a day so that a retry of an erased person's "
    "registration is recognised instead of registering them again",
)
not_personal(
    "api_idempotency_keys",
    ["key", "scope", "path"],
    "client keys, token ids and API paths (a manage token in a path is void once erasure "
    "replaces the registration's token)",
)
