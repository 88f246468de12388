"""Bulletins: created for a period and drafted by a worker, edited by staff, sent to
distribution lists through the outbox (one message per recipient, in their language).

Every function here that changes state commits its own transaction with its audit entries,
or raises a `BulletinError` having written nothing. Views, API, CLI and tasks call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlparse

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from lanet.accounts.models import User
from lanet.bulletin import contacts, content, drafting, tokens
from lanet.bulletin.models import (
    LANGUAGES,
    Bulletin,
    BulletinDelivery,
    BulletinSend,
    BulletinStatus,
    Contact,
    DeliveryStatus,
    DistributionList,
    SendStatus,
)
from lanet.bulletin.tasks import COMPILE_TASK, EXPAND_TASK
from lanet.core import audit
from lanet.core.dispatch import send_after_commit, send_task
from lanet.core.types import utcnow
from lanet.extensions import db
from lanet.mail.models import OutboxMessage, OutboxStatus
from lanet.mail.service import queue_message

MAIL_TEMPLATE = "bulletin"
MAX_PERIOD = timedelta(days=366)
MAX_TITLE = 200


class BulletinError(Exception):
    """`field` names the input at fault; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def _get(bulletin_id: int, lock: bool = False) -> Bulletin:
    bulletin = db.session.get(Bulletin, bulletin_id, with_for_update=lock or None)
    if bulletin is None:
        raise BulletinError(str(_l("This bulletin does not exist.")), status=404)
    return bulletin


# --- creating and drafting -----------------------------------------------------------------


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise BulletinError(str(_l("Give the first and the last day of the period.")), "start")
    if end < start:
        raise BulletinError(str(_l("The period ends before it starts.")), "end")
    if end - start > MAX_PERIOD:
        raise BulletinError(str(_l("A bulletin covers a year at most.")), "end")
    return start, end


def create(start: date | None, end: date | None, user_id: int | None) -> Bulletin:
    """A new bulletin for the period; a worker writes its draft (status `compiling`)."""
    start, end = check_period(start, end)
    bulletin = Bulletin(
        period_start=start,
        period_end=end,
        status=BulletinStatus.compiling,
        created_by_id=user_id,
    )
    db.session.add(bulletin)
    db.session.flush()
    audit.record(
        "bulletin.created",
        "bulletin",
        bulletin.id,
        changes={"period": [start.isoformat(), end.isoformat()]},
        user_id=user_id,
    )
    send_after_commit(COMPILE_TASK, bulletin.id, queue="reports")
    db.session.commit()
    return bulletin


def recompile(bulletin_id: int, user_id: int | None) -> Bulletin:
    """Writes the draft again from the data (staff edits are replaced)."""
    bulletin = _get(bulletin_id, lock=True)
    _editable(bulletin)
    bulletin.status = BulletinStatus.compiling
    audit.record("bulletin.recompile_requested", "bulletin", bulletin.id, user_id=user_id)
    send_after_commit(COMPILE_TASK, bulletin.id, queue="reports")
    db.session.commit()
    return bulletin


def compile_draft(bulletin_id: int) -> bool:
    """The worker's part: writes the three drafts. False when there is nothing to compile."""
    bulletin = db.session.get(Bulletin, bulletin_id, with_for_update=True)
    if bulletin is None or bulletin.status != BulletinStatus.compiling:
        db.session.rollback()
        return False
    drafts = drafting.draft(bulletin.period_start, bulletin.period_end)
    bulletin.titles = {lang: title for lang, (title, _body) in drafts.items()}
    bulletin.bodies = {lang: body for lang, (_title, body) in drafts.items()}
    bulletin.html = {lang: content.to_html(body) for lang, (_t, body) in drafts.items()}
    bulletin.version = (bulletin.version or 0) + 1
    bulletin.status = BulletinStatus.draft
    bulletin.compiled_at = utcnow()
    audit.record(
        "bulletin.compiled",
        "bulletin",
        bulletin.id,
        changes={"version": bulletin.version},
        actor="worker",
    )
    db.session.commit()
    return True


def _editable(bulletin: Bulletin) -> None:
    if bulletin.status == BulletinStatus.published:
        raise BulletinError(
            str(_l("This bulletin has been sent; it can no longer be changed.")), status=409
        )
    if bulletin.status == BulletinStatus.compiling:
        raise BulletinError(
            str(_l("The draft is still being written; try again in a moment.")), status=409
        )


def edit(bulletin_id: int, language: str, title: str, body: str, user_id: int | None) -> Bulletin:
    """Staff's edit of one language: the subject and the Markdown, stored with its safe HTML."""
    if language not in LANGUAGES:
        raise BulletinError(str(_l("Language must be es, pt or en.")), "language")
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise BulletinError(
            str(_l("Give a subject of at most %(count)s characters.", count=MAX_TITLE)), "title"
        )
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise BulletinError(str(_l("The bulletin cannot be empty.")), "body")
    if len(body) > content.MAX_MARKDOWN:
        raise BulletinError(
            str(
                _l(
                    "The text is too long (%(count)s characters at most).",
                    count=content.MAX_MARKDOWN,
                )
            ),
            "body",
        )
    bulletin = _get(bulletin_id, lock=True)
    _editable(bulletin)
    changed = {
        name
        for name, old, new in (
            ("title", bulletin.titles.get(language), title),
            ("body", bulletin.bodies.get(language), body),
        )
        if old != new
    }
    if changed:
        # JSON columns are replaced, not mutated in place, so SQLAlchemy sees the change.
        bulletin.titles = {**bulletin.titles, language: title}
        bulletin.bodies = {**bulletin.bodies, language: body}
        bulletin.html = {**bulletin.html, language: content.to_html(body)}
        bulletin.version += 1
        audit.record(
            "bulletin.edited",
            "bulletin",
            bulletin.id,
            changes={"language": language, "fields": sorted(changed), "version": bulletin.version},
            user_id=user_id,
        )
    db.session.commit()
    return bulletin


# --- what a recipient reads ----------------------------------------------------------------


@dataclass(frozen=True)
class MailContent:
    subject: str
    html: str
    text: str


def mail_content(bulletin_id: int, language: str) -> MailContent:
    """Subject, HTML (with inline styles for mail clients) and plain text of one language;
    the Jinja global `bulletin_mail` that the mail templates call when a worker renders."""
    bulletin = db.session.get(Bulletin, int(bulletin_id))
    if bulletin is None:
        raise LookupError(f"bulletin {bulletin_id} does not exist")
    language = language if language in (bulletin.bodies or {}) else "es"
    return MailContent(
        subject=bulletin.title(language),
        html=content.email_html(bulletin.html.get(language, "")),
        text=bulletin.bodies.get(language, ""),
    )


def archive_url(bulletin: Bulletin, language: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/bulletin/{bulletin.id}/{language}"


def _list_id_header() -> str:
    host = urlparse(current_app.config["BASE_URL"]).hostname or "lanet.local"
    return f"LANET bulletin <bulletin.{host}>"


def message_parts(bulletin: Bulletin, contact_id: int, email: str, language: str) -> dict:
    """The outbox arguments of one recipient's copy: context and the list headers."""
    unsubscribe = contacts.unsubscribe_url(contact_id, email)
    return {
        "template": MAIL_TEMPLATE,
        "language": language,
        "context": {
            "bulletin_id": bulletin.id,
            "unsubscribe_url": unsubscribe,
            "archive_url": archive_url(bulletin, language),
        },
        # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs.
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": _list_id_header(),
            "Precedence": "bulk",
        },
    }


def test_send(bulletin_id: int, user: User, language: str | None = None) -> OutboxMessage:
    """The bulletin to the staff member's own address, as a recipient would get it."""
    bulletin = _get(bulletin_id)
    if bulletin.status == BulletinStatus.compiling:
        raise BulletinError(
            str(_l("The draft is still being written; try again in a moment.")), status=409
        )
    language = language or (user.person.language if getattr(user, "person", None) else "es")
    if language not in LANGUAGES:
        raise BulletinError(str(_l("Language must be es, pt or en.")), "language")
    parts = message_parts(bulletin, tokens.TEST_CONTACT, user.email, language)
    message = queue_message(to=user.email, name=None, **parts)
    audit.record(
        "bulletin.test_sent",
        "bulletin",
        bulletin.id,
        changes={"language": language, "version": bulletin.version},
        user_id=user.id,
    )
    db.session.commit()
    return message


# --- sending to a list ---------------------------------------------------------------------


def start_send(bulletin_id: int, list_id: int, user_id: int | None) -> tuple[BulletinSend, bool]:
    """Sends the bulletin to a list: (the send, True) or, when it was already sent to that
    list, (that send, False) — a double click or a retry sends nothing twice.

    The bulletin is published (in the archive, no longer editable) with its first send.
    Workers then write one outbox message per recipient (`expand`).
    """
    bulletin = _get(bulletin_id, lock=True)
    existing = db.session.scalar(
        select(BulletinSend).where(
            BulletinSend.bulletin_id == bulletin_id, BulletinSend.list_id == list_id
        )
    )
    if existing is not None:
        db.session.rollback()
        return existing, False
    if bulletin.status == BulletinStatus.compiling:
        raise BulletinError(
            str(_l("The draft is still being written; try again in a moment.")), status=409
        )
    missing = [lang for lang in LANGUAGES if not (bulletin.bodies or {}).get(lang)]
    if missing:
        raise BulletinError(
            str(
                _l(
                    "Write the bulletin in every language first (%(missing)s).",
                    missing=", ".join(missing),
                )
            ),
            status=409,
        )
    distribution_list = db.session.get(DistributionList, list_id)
    if distribution_list is None:
        raise BulletinError(str(_l("This list does not exist.")), "list_id")
    send = BulletinSend(
        bulletin_id=bulletin.id,
        list_id=distribution_list.id,
        status=SendStatus.expanding,
        total=contacts.member_count(distribution_list),
        requested_by_id=user_id,
    )
    db.session.add(send)
    if bulletin.status != BulletinStatus.published:
        bulletin.status = BulletinStatus.published
        bulletin.published_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError:
        # A concurrent click won the unique (bulletin, list): its send is the answer.
        db.session.rollback()
        return (
            db.session.scalars(
                select(BulletinSend).where(
                    BulletinSend.bulletin_id == bulletin_id, BulletinSend.list_id == list_id
                )
            ).one(),
            False,
        )
    audit.record(
        "bulletin.send_started",
        "bulletin",
        bulletin.id,
        changes={"list": distribution_list.name, "recipients": send.total, "send": send.id},
        user_id=user_id,
    )
    send_after_commit(EXPAND_TASK, send.id, queue="mail")
    db.session.commit()
    return send, True


def expand_batch_size() -> int:
    return int(current_app.config.get("BULLETIN_EXPAND_BATCH") or 500)


def expand(send_id: int, batch_size: int | None = None) -> bool:
    """Writes one outbox message per recipient for the next batch of the list's contacts;
    True once every recipient is queued. Safe to run again or twice at once: the send row is
    locked, and it records how far it got."""
    batch_size = batch_size or expand_batch_size()
    send = db.session.get(BulletinSend, send_id, with_for_update=True)
    if send is None or send.status != SendStatus.expanding:
        db.session.rollback()
        return True
    bulletin = db.session.get(Bulletin, send.bulletin_id)
    batch = list(
        db.session.scalars(
            contacts.members(send.distribution_list)
            .where(Contact.id > send.expanded_through)
            .order_by(Contact.id)
            .limit(batch_size)
            # An unsubscribe (FOR UPDATE of its contact) waits until this batch is
            # committed, and then finds the batch's messages to take back.
            .with_for_update(read=True, of=Contact)
        )
    )
    emails = [c.email for c in batch]
    already = set(
        db.session.scalars(
            select(BulletinDelivery.email).where(
                BulletinDelivery.bulletin_id == bulletin.id, BulletinDelivery.email.in_(emails)
            )
        )
    )
    for contact in batch:
        if contact.email in already:
            continue  # on an earlier list of this bulletin: one copy per address
        message = queue_message(
            to=contact.email,
            name=contact.name or None,
            **message_parts(bulletin, contact.id, contact.email, contact.language),
        )
        db.session.add(
            BulletinDelivery(
                send_id=send.id,
                bulletin_id=bulletin.id,
                contact_id=contact.id,
                email=contact.email,
                language=contact.language,
                outbox_message=message,
            )
        )
    if batch:
        send.expanded_through = batch[-1].id
    done = len(batch) < batch_size
    if done:
        db.session.flush()
        send.status = SendStatus.queued
        send.queued_at = utcnow()
        send.total = int(
            db.session.scalar(select(func.count()).where(BulletinDelivery.send_id == send.id)) or 0
        )
        audit.record(
            "bulletin.send_queued",
            "bulletin",
            bulletin.id,
            changes={"send": send.id, "recipients": send.total},
            actor="worker",
        )
    db.session.commit()
    return done


@dataclass(frozen=True)
class Progress:
    send_id: int
    status: str
    total: int
    queued: int
    sent: int
    failed: int
    skipped: int

    @property
    def pending(self) -> int:
        return self.queued - self.sent - self.failed

    @property
    def finished(self) -> bool:
        return self.status == SendStatus.queued and self.pending <= 0

    def as_dict(self) -> dict:
        return {
            "send_id": self.send_id,
            "status": self.status,
            "total": self.total,
            "queued": self.queued,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending": self.pending,
            "finished": self.finished,
        }


def progress(send_id: int) -> Progress:
    """Counted from the deliveries and their outbox messages, as they are now."""
    send = db.session.get(BulletinSend, send_id)
    if send is None:
        raise BulletinError(str(_l("This send does not exist.")), status=404)
    outbox_status = OutboxMessage.status
    row = db.session.execute(
        select(
            func.count(BulletinDelivery.id),
            func.sum(case((outbox_status == OutboxStatus.sent, 1), else_=0)),
            func.sum(case((outbox_status == OutboxStatus.failed, 1), else_=0)),
            func.sum(case((BulletinDelivery.status == DeliveryStatus.skipped, 1), else_=0)),
        )
        .select_from(BulletinDelivery)
        .outerjoin(OutboxMessage, OutboxMessage.id == BulletinDelivery.outbox_message_id)
        .where(BulletinDelivery.send_id == send_id)
    ).one()
    written, sent, failed, skipped = (int(v or 0) for v in row)
    return Progress(
        send_id=send.id,
        status=send.status,
        total=max(send.total, written),
        # Skipped ones left the queue: they count among neither sent nor failed.
        queued=written - skipped,
        sent=sent,
        failed=failed,
        skipped=skipped,
    )


def unfinished_work() -> tuple[list[int], list[int]]:
    """(bulletins still compiling, sends still expanding) for the relay to dispatch again."""
    stale = utcnow() - timedelta(seconds=60)
    compiling = list(
        db.session.scalars(
            select(Bulletin.id).where(
                Bulletin.status == BulletinStatus.compiling, Bulletin.updated_at < stale
            )
        )
    )
    expanding = list(
        db.session.scalars(
            select(BulletinSend.id).where(
                BulletinSend.status == SendStatus.expanding, BulletinSend.created_at < stale
            )
        )
    )
    db.session.rollback()
    return compiling, expanding


def relay() -> int:
    """Dispatches again what a broker outage or a dead worker left undone."""
    compiling, expanding = unfinished_work()
    for bulletin_id in compiling:
        send_task(COMPILE_TASK, bulletin_id, queue="reports")
    for send_id in expanding:
        send_task(EXPAND_TASK, send_id, queue="mail")
    return len(compiling) + len(expanding)
