"""A delivery batch's messages, built for the wire (the outbox's delivery loop:
`lanet.mail.service`), and what the outbox keeps of a sent message's context.

Split from the delivery loop: building is compose's templates, the features' prepared rows
and the locale; the loop is claims, leases, marks and SMTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lanet.core import signals
from lanet.extensions import db
from lanet.mail import compose
from lanet.mail.models import OutboxMessage


class _Claimed(Protocol):
    @property
    def id(self) -> int: ...


C = TypeVar("C", bound=_Claimed)


# Context values that are private links: they open someone's data (a registration, a password
# reset, an invitation), so the outbox keeps them only until the message is sent.
PRIVATE_LINKS = frozenset(
    {
        "manage_url",
        "invitation_url",
        "reset_url",
        "set_password_url",
        "confirm_url",
        "unsubscribe_url",
    }
)


def without_private_links(context: dict | None) -> dict | None:
    """The context to keep once sent, or None when it holds no private link."""
    if not context or not PRIVATE_LINKS & set(context):
        return None
    return {key: value for key, value in context.items() if key not in PRIVATE_LINKS}


class BatchBuilder(Generic[C]):
    """Builds a batch's messages one at a time, in language order: the rows and what their
    features need are loaded once for the batch, the locale is switched once per language, and
    each message is built just before it goes, so that the delivery loop builds the next
    message while the server takes the previous one (between the final dot and its answer).
    The rows stay in the session for the batch; a commit in between (a failure, a lease
    renewal) only makes the next access reload its row."""

    def __init__(self, claims: Sequence[C], kept: dict[int, dict]) -> None:
        self.rows = {
            row.id: row
            for row in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_([c.id for c in claims]))
                .options(selectinload(OutboxMessage.attachments))
            )
        }
        # What the features' parts of these messages need (a confirmation's registration,
        # person and event), loaded once for the batch; held while the batch is built.
        try:
            self.loaded = signals.prepare_messages(list(self.rows.values()))
        except Exception:  # the per-message lookups still work, one by one
            current_app.logger.exception("outbox batch: loading what its messages need failed")
            db.session.rollback()
            self.loaded = []
        self.order = sorted(claims, key=lambda claim: self.rows[claim.id].language)
        self.sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.kept = kept
        self._scope = contextlib.ExitStack()
        self._language: str | None = None

    def build(self, claim: C) -> compose.Outgoing | str:
        row = self.rows[claim.id]
        try:
            language = row.language
            if language != self._language:
                self._scope.close()
                self._language = None
                self._scope = contextlib.ExitStack()
                self._scope.enter_context(compose.rendering(language))
                self._language = language
        except Exception as error:  # the language's shared values cannot be had
            current_app.logger.exception("outbox message %s cannot be built", claim.id)
            return f"cannot be built: {type(error).__name__}: {error}"
        return build_one(row, self.sender, self.kept)

    def close(self) -> None:
        self._scope.close()
        self.loaded = []


def build_one(
    row: OutboxMessage, sender: str, kept: dict[int, dict] | None
) -> compose.Outgoing | str:
    if kept is not None:
        redacted = without_private_links(row.context)
        if redacted is not None:
            kept[row.id] = redacted
    try:
        return compose.outgoing(row, sender)
    except compose.InvalidMessage as error:
        return str(error)
    except Exception as error:  # whatever it is, it fails this message only
        current_app.logger.exception("outbox message %s cannot be built", row.id)
        return f"cannot be built: {type(error).__name__}: {error}"
