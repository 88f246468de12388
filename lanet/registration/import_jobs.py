"""Bulk sends queued to a worker: an invitation CSV file, a long list of addresses.

The request validates the whole input (all or nothing, bad rows named by number, in
`imports.py`), then `start_invitations` stores the job and its rows in the database and
commits; the worker task is dispatched after that commit. The worker (`run_chunk`) takes the
next rows still pending, at most IMPORT_CHUNK_ROWS, in one transaction: each row's
invitation, its outbox message and the row's outcome commit together, so a worker that dies
loses at most its chunk, which the next run does again (a row already done is never sent
twice). One bad row fails alone, with its reason (a savepoint per row); the others go on.
Beat's relay dispatches again a job left unfinished (a broker outage, a dead worker).

Every function that writes commits its own transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from lanet.core import audit
from lanet.core.dispatch import send_after_commit, send_task
from lanet.core.types import utcnow
from lanet.events.models import EventStatus
from lanet.extensions import db
from lanet.registration import invitations
from lanet.registration.errors import RegistrationError
from lanet.registration.models import (
    ImportJob,
    ImportJobKind,
    ImportJobRow,
    ImportJobStatus,
    ImportRowStatus,
)

logger = logging.getLogger(__name__)

RUN_TASK = "lanet.registration.run_import_job"
RELAY_TASK = "lanet.registration.import_relay"
# Invitations write outbox messages: the same queue as the bulletin's sends.
QUEUE = "mail"
# A queued or running job whose row counts have not moved for this long is dispatched again.
STALE_SECONDS = 60
# Failed rows listed on the progress page and in the API's answer (all are counted).
FAILURES_SHOWN = 200
ERROR_PREFIX = "error:"
# Why a job stopped as a whole (ImportJob.error): codes, told in the reader's language.
EVENT_CANCELLED = "event_cancelled"


class ImportJobNotFound(RegistrationError):
    pass


def chunk_rows() -> int:
    return int(current_app.config.get("IMPORT_CHUNK_ROWS") or 200)


# --- in the request ----------------------------------------------------------------------


def start_invitations(
    event_id: int,
    invitees: list[invitations.Invitee],
    user_id: int | None,
    source: str,
) -> ImportJob:
    """Stores a job with its validated rows and commits; a worker sends them after the
    commit. Nothing is invited here."""
    event = invitations.get_event(event_id)
    job = ImportJob(
        kind=ImportJobKind.invitations,
        event_id=event.id,
        requested_by_id=user_id,
        source=source,
        status=ImportJobStatus.queued,
        total=len(invitees),
    )
    try:
        db.session.add(job)
        db.session.flush()
        if invitees:
            db.session.execute(
                insert(ImportJobRow),
                [
                    {
                        "job_id": job.id,
                        "row_number": invitee.row or position,
                        "email": invitee.email,
                        "language": invitee.language,
                        "status": ImportRowStatus.pending,
                    }
                    for position, invitee in enumerate(invitees, start=1)
                ],
            )
        audit.record(
            "invitations.import_queued",
            "event",
            event.id,
            changes={"job": job.id, "rows": len(invitees), "source": source},
            event_id=event.id,
            user_id=user_id,
        )
        send_after_commit(RUN_TASK, job.id, queue=QUEUE)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return job


# --- in the worker -----------------------------------------------------------------------


def run_chunk(job_id: int, size: int | None = None, *, careful: bool = False) -> bool:
    """Processes the job's next pending rows in one transaction; True once none is left
    (or the job is gone). Safe to run again, or twice at once: the job row is locked while a
    chunk runs, and each row's outcome commits with its invitation.

    The chunk first runs straight through (one flush); if anything in it fails, it is rolled
    back and run again `careful`ly, each row in its own savepoint, so that the bad row fails
    alone with its reason and the others are sent."""
    size = size or chunk_rows()
    job = db.session.get(ImportJob, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.finished:
        db.session.rollback()
        return True
    rows = list(
        db.session.scalars(
            select(ImportJobRow)
            .where(ImportJobRow.job_id == job.id, ImportJobRow.status == ImportRowStatus.pending)
            .order_by(ImportJobRow.row_number)
            .limit(size)
        )
    )
    now = utcnow()
    if job.event.status == EventStatus.cancelled:
        # Nobody is invited to a cancelled event: the rows left stay unsent, and the page
        # says why.
        job.status = ImportJobStatus.failed
        job.error = EVENT_CANCELLED
        job.finished_at = job.updated_at = now
        db.session.commit()
        return True
    if job.status == ImportJobStatus.queued:
        job.status = ImportJobStatus.running
        job.started_at = now
    job.updated_at = now
    # Written before the rows' savepoints: on SQLite (pysqlite begins a transaction only
    # before a write) the first savepoint would otherwise open the transaction, and its
    # release would commit that row on its own, outside the chunk.
    db.session.flush()
    state = invitations.sending(job.event_id, [row.email for row in rows])
    try:
        created = [_process(job, row, state, careful) for row in rows]
        db.session.flush()
    except Exception:
        if careful:
            raise
        db.session.rollback()
        logger.warning("import job %s: a row failed; its chunk runs again row by row", job_id)
        return run_chunk(job_id, size, careful=True)
    for row, invitation in zip(rows, created, strict=True):
        if invitation is not None:
            row.invitation_id = invitation.id
    outcomes = [row.status for row in rows]
    # The counts change together, once (a CHECK keeps processed = sent + skipped + failed).
    job.sent += outcomes.count(ImportRowStatus.sent)
    job.skipped += outcomes.count(ImportRowStatus.skipped)
    job.failed += outcomes.count(ImportRowStatus.failed)
    job.processed += len(rows)
    done = len(rows) < size or not _pending(job.id)
    if done:
        job.status = ImportJobStatus.done
        job.finished_at = utcnow()
        audit.record(
            "invitations.import_done",
            "event",
            job.event_id,
            changes={
                "job": job.id,
                "sent": job.sent,
                "skipped": job.skipped,
                "failed": job.failed,
            },
            event_id=job.event_id,
            actor="worker",
        )
    db.session.commit()
    return done


def _process(job: ImportJob, row: ImportJobRow, state: invitations.Sending, careful: bool):
    """One row; its outcome written on the row; the invitation it wrote, if any. Careful: in a
    savepoint of the chunk's transaction, and a failure is this row's alone."""
    invitee = invitations.Invitee(email=row.email, language=row.language, row=row.row_number)
    if careful:
        savepoint = db.session.begin_nested()
        try:
            invitation, reason = invitations.invite_one(state, invitee, job.requested_by_id)
            savepoint.commit()
        except RegistrationError as error:
            savepoint.rollback()
            _fail(row, str(error.message))
            return None
        except Exception as error:  # this row alone fails, with its reason; the chunk goes on
            savepoint.rollback()
            logger.exception("import job %s: row %s could not be sent", job.id, row.row_number)
            _fail(row, f"{type(error).__name__}: {error}"[:400])
            return None
    else:
        invitation, reason = invitations.invite_one(
            state, invitee, job.requested_by_id, flush=False
        )
    if invitation is None:
        row.status = ImportRowStatus.skipped
        row.reason = reason
    else:
        row.status = ImportRowStatus.sent
    return invitation


def _fail(row: ImportJobRow, message: str) -> str:
    row.status = ImportRowStatus.failed
    row.reason = ERROR_PREFIX + message
    return row.status


def _pending(job_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(ImportJobRow)
            .where(ImportJobRow.job_id == job_id, ImportJobRow.status == ImportRowStatus.pending)
        )
        or 0
    )


def stale_jobs(now=None) -> list[int]:
    """Queued or running jobs whose counts have not moved for STALE_SECONDS."""
    limit = (now or utcnow()) - timedelta(seconds=STALE_SECONDS)
    ids = list(
        db.session.scalars(
            select(ImportJob.id)
            .where(
                ImportJob.status.in_([ImportJobStatus.queued, ImportJobStatus.running]),
                ImportJob.updated_at < limit,
            )
            .order_by(ImportJob.id)
        )
    )
    db.session.rollback()
    return ids


def relay(now=None) -> int:
    """Dispatches again what a broker outage or a dead worker left unfinished."""
    ids = stale_jobs(now)
    for job_id in ids:
        send_task(RUN_TASK, job_id, queue=QUEUE)
    return len(ids)


def rows_retention() -> timedelta:
    return timedelta(days=current_app.config["IMPORT_ROWS_RETENTION_DAYS"])


def purge_old_rows(now=None) -> int:
    """Deletes the rows of the sends that finished more than IMPORT_ROWS_RETENTION_DAYS ago:
    the addresses and failure messages served the progress page, not the Network's records
    (the invitations they caused stay). The jobs and their counts stay. Beat runs it hourly."""
    limit = (now or utcnow()) - rows_retention()
    old_jobs = select(ImportJob.id).where(
        ImportJob.status.in_([ImportJobStatus.done, ImportJobStatus.failed]),
        ImportJob.finished_at < limit,
    )
    deleted = db.session.execute(
        delete(ImportJobRow)
        .where(ImportJobRow.job_id.in_(old_jobs))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return deleted


def continue_later(job_id: int) -> bool:
    """The next chunk as its own task, so a long job never holds one worker for long."""
    return send_task(RUN_TASK, job_id, queue=QUEUE)


# --- reading -------------------------------------------------------------------------------


@dataclass
class Failure:
    row: int
    email: str
    reason: str


@dataclass
class Progress:
    job: ImportJob
    failures: list[Failure] = field(default_factory=list)
    skipped_by: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.job.total - self.job.processed

    @property
    def error(self) -> str | None:
        return error_text(self.job.error)

    @property
    def rows_purged(self) -> bool:
        """Its rows are past their retention (purge_old_rows): the lists are gone, not empty."""
        finished_at = self.job.finished_at
        return finished_at is not None and finished_at < utcnow() - rows_retention()

    def as_dict(self) -> dict:
        job = self.job
        return {
            "id": job.id,
            "kind": job.kind,
            "event": job.event.slug,
            "source": job.source,
            "status": job.status,
            "finished": job.finished,
            "total": job.total,
            "processed": job.processed,
            "sent": job.sent,
            "skipped": job.skipped,
            "failed": job.failed,
            "pending": self.pending,
            "skipped_by": self.skipped_by,
            "failures": [
                {"row": f.row, "email": f.email, "reason": f.reason} for f in self.failures
            ],
            "error": self.error,
            "rows_purged": self.rows_purged,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        }


def get_job(event_id: int, job_id: int) -> ImportJob:
    """The event's job; another event's (or none) is not found."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.event_id != event_id:
        raise ImportJobNotFound(str(_l("There is no such import.")))
    return job


def progress(event_id: int, job_id: int) -> Progress:
    job = get_job(event_id, job_id)
    failures = [
        Failure(row=r.row_number, email=r.email, reason=failure_text(r.reason))
        for r in db.session.scalars(
            select(ImportJobRow)
            .where(ImportJobRow.job_id == job.id, ImportJobRow.status == ImportRowStatus.failed)
            .order_by(ImportJobRow.row_number)
            .limit(FAILURES_SHOWN)
        )
    ]
    skipped_by = dict(
        db.session.execute(
            select(ImportJobRow.reason, func.count())
            .where(ImportJobRow.job_id == job.id, ImportJobRow.status == ImportRowStatus.skipped)
            .group_by(ImportJobRow.reason)
        ).all()
    )
    return Progress(job=job, failures=failures, skipped_by=skipped_by)


def failure_text(reason: str | None) -> str:
    """A failed row's reason, for the organizer, in the reader's language."""
    detail = (reason or "").removeprefix(ERROR_PREFIX)
    return str(_l("This row could not be sent: %(detail)s", detail=detail))


def error_text(code: str | None) -> str | None:
    """Why a job stopped as a whole, for the organizer, in the reader's language."""
    if code is None:
        return None
    if code == EVENT_CANCELLED:
        return str(_l("The event was cancelled; the rows left were not sent."))
    return code


def recent_jobs(event_id: int, limit: int = 5) -> list[ImportJob]:
    return list(
        db.session.scalars(
            select(ImportJob)
            .where(ImportJob.event_id == event_id)
            .order_by(ImportJob.id.desc())
            .limit(limit)
        )
    )
