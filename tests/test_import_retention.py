"""A finished bulk send's rows (addresses, failure messages) are deleted after
IMPORT_ROWS_RETENTION_DAYS; the job and its counts stay, and its page says the rows are gone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lanet.core.types import utcnow
from lanet.registration import import_jobs
from lanet.registration.models import ImportJob, ImportJobRow, Invitation
from tests.fixtures.registration import run_import_jobs


@pytest.fixture()
def organizer_client(fresh_client, make_event, make_user, sign_in):
    event = make_event(capacity=None)
    sign_in(fresh_client, make_user("organizer", event=event))
    return fresh_client, event


def _send(client, event, body: str) -> ImportJob:
    answer = client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (io.BytesIO(body.encode()), "invitees.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    run_import_jobs()
    from lanet.extensions import db

    db.session.expire_all()
    return db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()


def _rows(db, job: ImportJob) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ImportJobRow).where(ImportJobRow.job_id == job.id)
    )


def _finished_days_ago(db, job: ImportJob, days: float) -> None:
    db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id)
        .values(finished_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


def test_rows_of_a_send_finished_past_retention_are_deleted_and_the_counts_stay(
    db, organizer_client, app
):
    client, event = organizer_client
    old = _send(client, event, "email,language\nana@x.org,es\nbeto@x.org,pt\n")
    recent = _send(client, event, "email,language\ncarla@x.org,en\n")
    assert (old.status, old.sent, _rows(db, old)) == ("done", 2, 2)
    days = app.config["IMPORT_ROWS_RETENTION_DAYS"]
    _finished_days_ago(db, old, days + 1)
    _finished_days_ago(db, recent, days - 1)

    assert import_jobs.purge_old_rows() == 2
    db.session.expire_all()
    assert _rows(db, old) == 0 and _rows(db, recent) == 1
    # The job, its counts and the invitations it caused are the record; they stay.
    job = db.session.get(ImportJob, old.id)
    assert (job.total, job.processed, job.sent) == (2, 2, 2)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 3
    assert import_jobs.purge_old_rows() == 0  # nothing left to delete

    page = client.get(
        f"/manage/events/{event.slug}/imports/{old.id}", headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert f"were deleted {days} days after it finished" in page.get_data(as_text=True)
    recent_page = client.get(f"/manage/events/{event.slug}/imports/{recent.id}")
    assert "import-rows-purged" not in recent_page.get_data(as_text=True)
    status = client.get(f"/manage/events/{event.slug}/imports/{old.id}.json").get_json()
    assert status["rows_purged"] is True and status["sent"] == 2


def test_unfinished_sends_keep_their_rows_however_old(db, organizer_client, app):
    client, event = organizer_client
    job = _send(client, event, "email,language\ndora@x.org,es\n")
    # A job a worker never finished (it stays queued or running) is the relay's, not the purge's.
    db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id)
        .values(status="running", finished_at=None, created_at=utcnow() - timedelta(days=400))
    )
    db.session.commit()
    assert import_jobs.purge_old_rows() == 0
    assert _rows(db, job) == 1


def test_beat_runs_the_purge_hourly(app):
    from workers.schedule import collect

    entry = collect()["import-rows-purge"]
    assert entry["task"] == "lanet.registration.purge_import_rows"
    assert entry["schedule"] == 3600.0
