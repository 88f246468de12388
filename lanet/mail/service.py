"""The outbox: one way to send, dispatch after commit, and delivery by workers.

A message's life: `pending` (written with the change that causes it) → `sending` (claimed by
one worker, with a short lease in `next_attempt_at`, renewed while its batch runs) → `sent`,
or back to `pending` with a backoff after a temporary failure, or `failed` with the reason.

At least once, with a stable Message-ID: a worker writes "sent" only after the SMTP server
accepted the message. A worker killed between the server's acceptance and that mark leaves a
`sending` row; when its lease ends (about two minutes) another worker sends the message again
with the same Message-ID, which receivers use to drop the duplicate. Nothing is ever lost.

One bad message never holds up the others: whatever goes wrong while building or sending
one message marks that message failed (or retried) with its reason, and the batch goes on.
Attempts have a ceiling (MAIL_MAX_ATTEMPTS): a message whose worker keeps dying with it is
failed after that many claims and shown on /staff/outbox.

Transactions: `queue_message` joins the caller's transaction (a message commits with the
change that causes it, or not at all); every other function commits its own.
"""

from __future__ import annotations

import math
import random
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, text, update

from lanet.core import audit, dispatch, rows
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail import compose, pacing, transport
from lanet.mail.batches import BatchBuilder
from lanet.mail.models import OutboxAttachment, OutboxMessage, OutboxStatus

DELIVER_TASK = "lanet.mail.deliver_pending"


class OutboxError(Exception):
    """A staff action on the outbox that cannot be done; the message says why."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, order=True)
class Claim:
    """A worker's hold on one message; `attempts` doubles as the fencing token."""

    id: int
    attempts: int


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claim: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def setting(name: str) -> int:
    """One of the outbox's MAIL_* settings (lanet/config.py)."""
    return int(current_app.config[name])


def new_message_id() -> str:
    domain = urlparse(current_app.config["BASE_URL"]).hostname or "lanet.local"
    return f"<{secrets.token_hex(16)}@{domain}>"


# --- one way to send ---------------------------------------------------------------------


def queue_message(
    *,
    to: str,
    template: str,
    language: str,
    context: dict | None = None,
    name: str | None = None,
    event_id: int | None = None,
    calendar_ics: bytes | None = None,
    calendar_method: str | None = None,
    calendar_later: bool = False,
    attachments: Iterable[Attachment] = (),
    headers: dict[str, str] | None = None,
    now: bool = False,
    unwritten: bool = False,
) -> OutboxMessage:
    """Adds the message to the current session; nothing is sent unless the caller commits.
    `template` names `templates/mail/<template>.subject.txt`, `.txt` and `.html`; `context`
    must be JSON-serialisable, since a worker renders it later in `language`.
    `calendar_method` is REQUEST (the default with a calendar) or CANCEL; `calendar_later`: a
    REQUEST whose bytes the worker builds when it renders (`signals.message_calendar`).
    `headers` are added as they are (List-Unsubscribe, RFC 8058), never replacing the outbox's.
    `now` (no attachments): the row is written at once by a Core INSERT (lanet/core/rows.py).
    `unwritten` (no attachments): the row is only built; the caller writes it with its other
    rows (`rows.insert_all`) in the same transaction.
    """
    message = OutboxMessage(
        message_id=new_message_id(),
        recipient_email=to,
        recipient_name=name,
        language=language if language in ("es", "pt", "en") else "es",
        template=template,
        context=dict(context or {}),
        headers=compose.extra_headers(headers),
        event_id=event_id,
        calendar_ics=calendar_ics,
        calendar_method=(calendar_method or "REQUEST") if calendar_ics or calendar_later else None,
        attachments=[
            OutboxAttachment(filename=a.filename, content_type=a.content_type, content=a.content)
            for a in attachments
        ],
    )
    if unwritten:
        if message.attachments:
            raise ValueError("a message with attachments is written by the session's flush")
    else:
        (rows.insert_now if now and not message.attachments else db.session.add)(message)
    dispatch.wake_after_commit(DELIVER_TASK, queue="mail")
    return message


def request_delivery(tasks: int = 1) -> bool:
    """Asks workers to deliver what is due; if the broker is down, the relay catches up."""
    return all(dispatch.send_task(DELIVER_TASK, queue="mail") for _ in range(tasks))


# --- the relay ---------------------------------------------------------------------------


def _due(now) -> object:
    # A `sending` row whose lease ended belongs to a worker that died: it is due again.
    return and_(
        OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]),
        OutboxMessage.next_attempt_at <= now,
    )


def due_count() -> int:
    count = db.session.scalar(select(func.count()).where(_due(utcnow())))
    db.session.rollback()
    return int(count or 0)


def relay() -> int:
    """Re-dispatches messages still due (broker was down, worker died, backoff ended)."""
    due = due_count()
    if due:
        batches = math.ceil(due / setting("MAIL_BATCH_SIZE"))
        request_delivery(min(batches, setting("MAIL_RELAY_MAX_TASKS")))
    return due


# --- delivery ----------------------------------------------------------------------------


def claim_due(limit: int) -> list[Claim]:
    """Takes up to `limit` due messages for this worker: pending → sending, with a lease.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent workers take different rows; on
    SQLite (one writer at a time) the conditional UPDATE alone decides. One transaction with
    the failing of exhausted messages, and on PostgreSQL it does not wait for the disk: a claim
    that a database crash loses gives the messages back as they were (pending, or sending with
    the lease they had), so they are sent (again, with the same Message-ID) by the next claim,
    as at least once allows; a worker's death loses nothing, the commit is in the WAL by then.
    """
    now = utcnow()
    _no_disk_wait()
    _fail_exhausted(now)
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        db.session.commit()  # the exhausted ones' failure, if any
        return []
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _due(now))
        .values(
            status=OutboxStatus.sending,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + timedelta(seconds=setting("MAIL_SENDING_TIMEOUT")),
        )
        .returning(OutboxMessage.id, OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(Claim(id=row.id, attempts=row.attempts) for row in claimed)


def _no_disk_wait() -> None:
    """On PostgreSQL, this transaction's commit does not wait for the WAL's flush to disk
    (`synchronous_commit` off for it alone): used where a commit lost in a database crash only
    means a message sent once more, with the same Message-ID."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _fail_exhausted(now) -> None:
    """A message left `sending` by as many workers as it has attempts stops being claimed:
    something in it kills its worker, and only a person can tell what (/staff/outbox).
    Joins the claim's transaction."""
    ceiling = setting("MAIL_MAX_ATTEMPTS")
    failed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.sending,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts >= ceiling,
        )
        .values(
            status=OutboxStatus.failed,
            last_error=(
                f"given up after {ceiling} attempts: the worker sending it stopped each time"
            ),
        )
        .execution_options(synchronize_session=False)
    )
    if failed.rowcount:
        current_app.logger.error(
            "outbox: %d message(s) failed at the attempts ceiling", failed.rowcount
        )


def _held(claim: Claim, status: OutboxStatus = OutboxStatus.sending) -> object:
    return and_(
        OutboxMessage.id == claim.id,
        OutboxMessage.status == status,
        OutboxMessage.attempts == claim.attempts,
    )


def _mark_sent(claim: Claim, kept_context: dict | None = None) -> bool:
    """Records "sent" for one message the server has accepted (see `_mark_sent_batch`)."""
    return _mark_sent_batch([(claim, kept_context)]) == 1


def _mark_sent_batch(accepted: Sequence[tuple[Claim, dict | None]]) -> int:
    """Records "sent" for messages the server has accepted, in one transaction whatever their
    number: the delivery loop marks a batch's accepted messages together, at the end of the
    batch (and at each lease renewal of a long one). Returns how many rows it marked.

    Both cheapenings stay inside at least once: a worker that dies between the server's 250 and
    this mark leaves its accepted messages `sending`, and they are sent again, with the same
    Message-ID, when their lease ends — at most one batch per worker, never a lost message. And
    on PostgreSQL the mark does not wait for the disk (`synchronous_commit` off for this
    transaction only): a mark lost in a database crash is the same re-send.

    Written even if a claim was lost meanwhile (a lease that ended under a slow worker): the
    message did go out, and the mark spares a second copy where the other worker has not sent
    yet. A row that was no longer due to go (another worker had marked it) is not counted.
    """
    if not accepted:
        return 0
    table = OutboxMessage.__table__
    _no_disk_wait()
    connection = db.session.connection()
    # Spelled out rather than IN (…): an executemany takes no expanding parameter.
    unsent = or_(
        table.c.status == OutboxStatus.sending.value, table.c.status == OutboxStatus.pending.value
    )
    kept = [
        {"mark_id": claim.id, "mark_context": context}
        for claim, context in accepted
        if context is not None
    ]
    if kept:
        # The private links leave the stored context (one executemany for the batch).
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("mark_id"), unsent)
            .values(context=bindparam("mark_context", type_=table.c.context.type)),
            kept,
        )
    # Core rather than the ORM: no bulk-update bookkeeping, one statement for the batch.
    result = connection.execute(
        update(table)
        .where(table.c.id.in_(sorted({claim.id for claim, _context in accepted})), unsent)
        .values(status=OutboxStatus.sent.value, sent_at=utcnow(), last_error=None)
    )
    db.session.commit()
    return int(result.rowcount)


def _renew(claims: Iterable[Claim]) -> None:
    """Pushes the lease of the claims still held forward: a running batch keeps its rows,
    a dead worker's rows come due one short lease after it stopped renewing them."""
    ids = [claim.id for claim in claims]
    if not ids:
        return
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.sending)
        .values(next_attempt_at=utcnow() + timedelta(seconds=setting("MAIL_SENDING_TIMEOUT")))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


class _Lease:
    """Renews a batch's claims every quarter of the lease while the batch runs; a claim stays
    in it until its message is marked (sent or failed), so an accepted message waiting for the
    batch's sent mark is not taken by another worker meanwhile."""

    def __init__(self, claims: list[Claim], before_renewal: Callable[[], None]) -> None:
        self.remaining = set(claims)
        self.every = max(setting("MAIL_SENDING_TIMEOUT") / 4, 0.05)
        self.renewed = time.monotonic()
        self.before_renewal = before_renewal

    def done(self, claim: Claim) -> None:
        self.remaining.discard(claim)

    def keep(self) -> None:
        if time.monotonic() - self.renewed >= self.every:
            # A long batch marks what the server accepted so far, then keeps the rest.
            self.before_renewal()
            _renew(sorted(self.remaining))
            self.renewed = time.monotonic()


def backoff(attempts: int) -> timedelta:
    """Exponential, capped, with jitter so that retries after an outage do not all collide."""
    base = setting("MAIL_RETRY_BASE_SECONDS")
    delay = min(setting("MAIL_RETRY_MAX_SECONDS"), base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))


def _record_failure(
    claim: Claim, answer: str, *, temporary: bool, status: OutboxStatus = OutboxStatus.sending
) -> OutboxStatus:
    retry = temporary and claim.attempts < setting("MAIL_MAX_ATTEMPTS")
    values: dict = {"last_error": answer[:2000], "sent_at": None}
    if retry:
        values |= {
            "status": OutboxStatus.pending,
            "next_attempt_at": utcnow() + backoff(claim.attempts),
        }
    else:
        values |= {"status": OutboxStatus.failed}
    db.session.execute(
        update(OutboxMessage)
        .where(_held(claim, status))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return OutboxStatus.pending if retry else OutboxStatus.failed


def _count(report: DeliveryReport, outcome: OutboxStatus, answer: str) -> None:
    report.errors.append(answer)
    if outcome == OutboxStatus.pending:
        report.retrying += 1
    else:
        report.failed += 1


def _deliver_batch(claims: list[Claim], report: DeliveryReport, deadline: float) -> None:
    """Sends one batch over one SMTP connection. The server's acceptance of each message is
    recorded in memory and the accepted messages are marked sent together (`_mark_sent_batch`):
    at the end of the batch, at each lease renewal, and on the way out of an error."""
    pacer = pacing.pacer()
    accepted: list[tuple[Claim, dict | None]] = []

    def mark_accepted() -> None:
        if not accepted:
            return
        marking = list(accepted)
        accepted.clear()
        marked = _mark_sent_batch(marking)
        report.sent += marked
        report.lost_claim += len(marking) - marked
        for claim, _context in marking:
            lease.done(claim)

    lease = _Lease(claims, before_renewal=mark_accepted)
    outlet = transport.for_config(current_app.config)
    builder: BatchBuilder[Claim] | None = None
    try:
        kept: dict[int, dict] = {}
        builder = BatchBuilder(claims, kept)
        order = builder.order
        upcoming: compose.Outgoing | str | None = None
        for index, claim in enumerate(order):
            email = upcoming if upcoming is not None else builder.build(claim)
            upcoming = None
            lease.keep()
            if isinstance(email, str):
                _count(report, _record_failure(claim, email, temporary=False), email)
                lease.done(claim)
                continue
            wait = pacer.wait(deadline, tick=lease.keep)
            if wait is not None:
                # Over the rate for this task's time: the rest goes back for a later task.
                for later in order[index:]:
                    _release(later, wait)
                    report.deferred += 1
                return
            try:
                outlet.begin(email)
                outlet.end()
                if index + 1 < len(order):
                    # Built while the server takes this one; its answer is read just after.
                    upcoming = builder.build(order[index + 1])
                outlet.finish()
            except transport.DeliveryError as error:
                lease.done(claim)
                _count(
                    report,
                    _record_failure(claim, error.answer, temporary=error.temporary),
                    error.answer,
                )
                if error.connection:
                    # The server is unreachable: the rest of the batch waits too.
                    for later in order[index + 1 :]:
                        _count(
                            report,
                            _record_failure(later, error.answer, temporary=True),
                            error.answer,
                        )
                    return
                continue
            except Exception as error:  # a bug or a surprise in one message: it fails alone
                current_app.logger.exception("outbox message %s could not be sent", claim.id)
                outlet.drop()
                lease.done(claim)
                answer = f"cannot be sent: {type(error).__name__}: {error}"
                _count(report, _record_failure(claim, answer, temporary=False), answer)
                continue
            # The server holds it: "sent" is written with the batch's other accepted messages.
            accepted.append((claim, kept.get(claim.id)))
        mark_accepted()
    finally:
        try:
            if builder is not None:
                builder.close()
            if accepted:
                # Leaving early (over the rate, server gone, an error): what the server
                # accepted is marked all the same.
                db.session.rollback()
                mark_accepted()
        finally:
            outlet.close()


def _release(claim: Claim, after: float) -> None:
    """Gives an unsent claim back, as if never taken (the attempt does not count)."""
    db.session.execute(
        update(OutboxMessage)
        .where(_held(claim))
        .values(
            status=OutboxStatus.pending,
            attempts=OutboxMessage.attempts - 1,
            next_attempt_at=utcnow() + timedelta(seconds=after),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver_due(*, batch_size: int | None = None, seconds: float | None = None) -> DeliveryReport:
    """Delivers due messages, batch by batch, until none is due or the time budget ends."""
    report = DeliveryReport()
    deadline = time.monotonic() + (seconds or setting("MAIL_TASK_SECONDS"))
    while time.monotonic() < deadline:
        claims = claim_due(batch_size or setting("MAIL_BATCH_SIZE"))
        if not claims:
            break
        _deliver_batch(claims, report, deadline)
    return report


# --- staff actions -----------------------------------------------------------------------


def resend(message_id: int) -> OutboxMessage:
    """Puts a failed message back in the queue: one more attempt, dispatched after commit."""
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise OutboxError(_l("This message does not exist."))
    if message.status != OutboxStatus.failed:
        db.session.rollback()
        raise OutboxError(_l("Only a failed message can be sent again."))
    message.status = OutboxStatus.pending
    message.next_attempt_at = utcnow()
    audit.record(
        "outbox.resend",
        "outbox_message",
        message.id,
        changes={"status": [OutboxStatus.failed.value, OutboxStatus.pending.value]},
        event_id=message.event_id,
    )
    dispatch.send_after_commit(DELIVER_TASK, queue="mail")
    db.session.commit()
    return message
