"""Issue 14, item 5 (the queue): a large invitation send is validated in the request, stored as
a job with its rows, and sent by a worker in chunks (each its own transaction) while a page
and the API show rows processed, sent and failed; never done inside the request."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from lanet.core.types import utcnow
from lanet.mail.models import OutboxMessage
from lanet.registration import import_jobs, notifications
from lanet.registration.imports import INVITATION_MAX_ROWS
from lanet.registration.models import (
    ImportJob,
    ImportJobRow,
    ImportJobStatus,
    ImportRowStatus,
    Invitation,
)
from tests.fixtures.registration import run_import_jobs


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _csv(rows: int, start: int = 0) -> bytes:
    return ("email,language\n" + "".join(f"p{n}@x.org,es\n" for n in range(start, rows))).encode()


def _upload(client, event, body: bytes, name: str = "invitees.csv"):
    return client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )


def _job(db) -> ImportJob:
    db.session.expire_all()
    return db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()


@pytest.fixture()
def organizer_client(fresh_client, make_event, make_user, sign_in):
    event = make_event(capacity=None)
    sign_in(fresh_client, make_user("organizer", event=event))
    return fresh_client, event


# --- the request validates and queues; the worker sends ---------------------------------------


def test_a_10000_row_csv_answers_at_once_and_the_worker_sends_every_row(db, organizer_client):
    client, event = organizer_client
    started = time.monotonic()
    response = _upload(client, event, _csv(10_000))
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    job = _job(db)
    assert response.headers["Location"].endswith(f"/manage/events/{event.slug}/imports/{job.id}")
    # The request stored the job and its rows, and invited nobody.
    assert _count(db, Invitation) == 0
    assert _count(db, OutboxMessage) == 0
    assert job.status == ImportJobStatus.queued and job.total == 10_000
    assert _count(db, ImportJobRow, ImportJobRow.job_id == job.id) == 10_000
    assert elapsed < 15, elapsed  # was a request that sent 10,000 invitations itself

    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert b'data-status="queued"' in page.data and b"Waiting for a worker" in page.data

    assert run_import_jobs(size=2_500) == 1
    job = _job(db)
    assert (job.status, job.processed, job.sent, job.failed) == ("done", 10_000, 10_000, 0)
    assert _count(db, Invitation, Invitation.event_id == event.id) == 10_000
    # Each invitation still leaves through the outbox, once.
    assert _count(db, OutboxMessage, OutboxMessage.template == "invitation") == 10_000
    status = client.get(f"/manage/events/{event.slug}/imports/{job.id}.json").get_json()
    assert status["status"] == "done" and status["finished"] is True
    assert (status["processed"], status["sent"], status["failed"]) == (10_000, 10_000, 0)


def test_progress_moves_chunk_by_chunk_and_each_chunk_commits(db, organizer_client):
    client, event = organizer_client
    _upload(client, event, _csv(25))
    job = _job(db)
    url = f"/manage/events/{event.slug}/imports/{job.id}.json"
    seen = []
    while not import_jobs.run_chunk(job.id, 10):
        seen.append(client.get(url).get_json())
    seen.append(client.get(url).get_json())
    assert [(s["status"], s["processed"], s["sent"]) for s in seen] == [
        ("running", 10, 10),
        ("running", 20, 20),
        ("done", 25, 25),
    ]
    assert _count(db, Invitation) == 25


def test_a_row_failing_midway_is_counted_with_its_reason_and_the_rest_go_on(
    db, organizer_client, monkeypatch
):
    client, event = organizer_client
    real = notifications.send_invitation

    def refuse_one(invitation, *args, **kwargs):
        if invitation.email == "p6@x.org":
            raise ValueError("the mail server refuses this address")
        return real(invitation, *args, **kwargs)

    monkeypatch.setattr(notifications, "send_invitation", refuse_one)
    _upload(client, event, _csv(12))
    run_import_jobs(size=5)
    job = _job(db)
    assert (job.status, job.processed, job.sent, job.failed) == ("done", 12, 11, 1)
    # p6 is on line 8 of the file (the header is line 1).
    failed = db.session.scalars(
        select(ImportJobRow).where(ImportJobRow.status == ImportRowStatus.failed)
    ).one()
    assert (failed.row_number, failed.email) == (8, "p6@x.org")
    assert "refuses this address" in failed.reason
    # Its invitation and its message were rolled back with it; the others are there.
    assert _count(db, Invitation, Invitation.email == "p6@x.org") == 0
    assert _count(db, Invitation) == 11
    assert _count(db, OutboxMessage) == 11
    page = client.get(
        f"/manage/events/{event.slug}/imports/{job.id}", headers={"Accept-Language": "en"}
    )
    text = page.get_data(as_text=True)
    assert '<tr data-row="8"><td>8</td>' in text
    assert "This row could not be sent: ValueError: the mail server refuses" in text
    status = client.get(
        f"/manage/events/{event.slug}/imports/{job.id}.json", headers={"Accept-Language": "en"}
    ).get_json()
    assert status["failures"] == [
        {
            "row": 8,
            "email": "p6@x.org",
            "reason": "This row could not be sent: ValueError: the mail server refuses this "
            "address",
        }
    ]


def test_a_run_after_a_crash_and_a_second_run_send_nothing_twice(db, organizer_client, monkeypatch):
    client, event = organizer_client
    _upload(client, event, _csv(30))
    job_id = _job(db).id
    assert import_jobs.run_chunk(job_id, 10) is False
    # The worker dies in the middle of the second chunk: its transaction never commits.
    calls = {"n": 0}
    real = notifications.send_invitation

    def die_on_the_fifth(invitation, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise SystemExit("worker killed")
        return real(invitation, *args, **kwargs)

    monkeypatch.setattr(notifications, "send_invitation", die_on_the_fifth)
    with pytest.raises(SystemExit):
        import_jobs.run_chunk(job_id, 10)
    db.session.rollback()
    assert _count(db, Invitation) == 10 and _job(db).processed == 10
    monkeypatch.setattr(notifications, "send_invitation", real)
    # The task runs again (the relay, or Celery's redelivery): the chunk is done once.
    run_import_jobs(size=10)
    assert import_jobs.run_chunk(job_id, 10) is True  # and once more: nothing to do
    job = _job(db)
    assert (job.status, job.processed, job.sent, job.skipped, job.failed) == ("done", 30, 30, 0, 0)
    assert _count(db, Invitation) == 30
    assert _count(db, OutboxMessage) == 30
    per_address = db.session.execute(
        select(OutboxMessage.recipient_email, func.count())
        .group_by(OutboxMessage.recipient_email)
        .having(func.count() > 1)
    ).all()
    assert per_address == []
    # The same file uploaded again: every row skipped as already invited, nothing sent.
    _upload(client, event, _csv(30))
    run_import_jobs()
    again = _job(db)
    assert (again.sent, again.skipped) == (0, 30)
    assert import_jobs.progress(event.id, again.id).skipped_by == {"invited": 30}
    assert _count(db, OutboxMessage) == 30


def test_the_relay_dispatches_again_a_job_whose_dispatch_was_lost(
    db, organizer_client, monkeypatch
):
    from lanet.core import dispatch

    sent: list[tuple] = []

    def broker_down(name, *args, queue=None, **kwargs):
        sent.append((name, args, queue))
        return False

    monkeypatch.setattr(dispatch, "send_task", broker_down)
    monkeypatch.setattr(import_jobs, "send_task", broker_down)
    client, event = organizer_client
    _upload(client, event, _csv(3))
    job = _job(db)
    # The request asked for the task after its commit; the broker was down.
    assert sent == [(import_jobs.RUN_TASK, (job.id,), "mail")]
    sent.clear()
    assert import_jobs.relay() == 0  # too recent: its dispatch may still arrive
    db.session.execute(update(ImportJob).values(updated_at=utcnow() - timedelta(seconds=120)))
    db.session.commit()
    assert import_jobs.relay() == 1
    assert sent == [(import_jobs.RUN_TASK, (job.id,), "mail")]
    run_import_jobs()
    db.session.execute(update(ImportJob).values(updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    sent.clear()
    assert import_jobs.relay() == 0 and sent == []  # a finished job is left alone


def test_the_beat_schedule_runs_the_relay_on_the_mail_queue(app):
    from workers.schedule import collect

    entry = collect()["import-relay"]
    assert entry["task"] == import_jobs.RELAY_TASK
    assert entry["options"]["queue"] == "mail"
    routes = app.config["CELERY"]["task_routes"]
    assert routes[import_jobs.RUN_TASK] == {"queue": "mail"}


def test_a_cancelled_event_stops_its_job_with_the_reason(db, organizer_client):
    from lanet.events.models import Event

    client, event = organizer_client
    _upload(client, event, _csv(5))
    db.session.get(Event, event.id).status = "cancelled"
    db.session.commit()
    run_import_jobs()
    job = _job(db)
    assert (job.status, job.processed, job.sent) == ("failed", 0, 0)
    assert _count(db, Invitation) == 0
    page = client.get(
        f"/manage/events/{event.slug}/imports/{job.id}", headers={"Accept-Language": "en"}
    )
    assert b"The event was cancelled; the rows left were not sent." in page.data


def test_a_long_typed_list_is_queued_a_short_one_sent_at_once(db, organizer_client, app):
    client, event = organizer_client
    short = "\n".join(f"s{n}@x.org" for n in range(3))
    response = client.post(
        f"/manage/events/{event.slug}/invitations",
        data={"typed-emails": short, "typed-language": "es"},
    )
    assert response.headers["Location"].endswith(f"/manage/events/{event.slug}/invitations")
    assert _count(db, Invitation) == 3 and _count(db, ImportJob) == 0
    many = app.config["INVITE_INLINE_MAX"] + 1
    response = client.post(
        f"/manage/events/{event.slug}/invitations",
        data={
            "typed-emails": "\n".join(f"t{n}@x.org" for n in range(many)),
            "typed-language": "pt",
        },
    )
    job = _job(db)
    assert response.headers["Location"].endswith(f"/imports/{job.id}")
    assert _count(db, Invitation) == 3 and job.total == many and job.source == "typed"
    run_import_jobs()
    assert _count(db, Invitation, Invitation.language == "pt") == many


# --- hostile input: a clear error, nothing written ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"email\na@x.org\nb\x00@x.org\n", b"<td>3</td><td>Must not contain control characters"),
        (b'email\na@x.org\n"b@x.org\rc",es\n', b"Must not contain control characters"),
        (b'email\na@x.org\n"b@x.org\r\nc@x.org",es\n', b"Must not contain control characters"),
        (b"email\r\na@x.org\r\nnot an address\r\n", b"Not a valid email address"),
        (_csv(INVITATION_MAX_ROWS + 1), f"more than {INVITATION_MAX_ROWS} rows".encode()),
        (b"email\n" + b"a" * 2_000_001, b"larger than 2 MB"),
        ("email\nJosé@x.org\n".encode("latin-1"), b"UTF-8"),
    ],
    ids=[
        "nul",
        "cr-in-field",
        "crlf-in-field",
        "bad-row",
        "too-many-rows",
        "too-large",
        "not-utf8",
    ],
)
def test_hostile_files_get_a_clear_error_and_write_nothing(db, organizer_client, body, expected):
    client, event = organizer_client
    response = _upload(client, event, body)
    assert response.status_code == 422
    assert expected in response.data
    assert _count(db, ImportJob) == 0
    assert _count(db, ImportJobRow) == 0
    assert _count(db, Invitation) == 0


def test_a_body_past_the_request_limit_is_413(db, organizer_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    client, event = organizer_client
    response = _upload(client, event, b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert _count(db, ImportJob) == 0


# --- permissions: the same as the invitations page ------------------------------------------


def test_another_organizer_cannot_see_the_job(
    db, organizer_client, fresh_client, make_event, make_user, sign_in, app, bearer
):
    client, event = organizer_client
    _upload(client, event, _csv(2))
    job = _job(db)
    other_event = make_event(slug="other-seminar")
    stranger = make_user("organizer", event=other_event)
    stranger_client = app.test_client()
    sign_in(stranger_client, stranger)
    page = f"/manage/events/{event.slug}/imports/{job.id}"
    assert stranger_client.get(page).status_code in (403, 404)
    assert stranger_client.get(page + ".json").status_code in (403, 404)
    # Their own event's address with another event's job: not found.
    own = f"/manage/events/{other_event.slug}/imports/{job.id}"
    assert stranger_client.get(own).status_code == 404
    assert stranger_client.get(own + ".json").status_code == 404
    headers = bearer(stranger)
    api = f"/api/v1/events/{event.slug}/import-jobs/{job.id}"
    assert stranger_client.get(api, headers=headers).status_code in (403, 404)
    assert (
        stranger_client.get(
            f"/api/v1/events/{other_event.slug}/import-jobs/{job.id}", headers=headers
        ).status_code
        == 404
    )
    # Signed out: to the login page, nothing shown.
    anonymous = app.test_client()
    assert anonymous.get(page).status_code in (302, 401)
    # Staff may.
    staff_client = app.test_client()
    sign_in(staff_client, make_user("staff"))
    assert staff_client.get(page).status_code == 200


# --- the API: 202 Accepted with the job's Location ------------------------------------------


def test_the_api_csv_is_queued_with_202_and_a_location(client, db, api_event, make_user, bearer):
    event = api_event("seminar")
    headers = bearer(make_user("organizer", event=event))
    url = f"/api/v1/events/{event.slug}/invitations/csv"
    response = client.post(url, json={"csv": _csv(300).decode()}, headers=headers)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued" and body["total"] == 300 and body["processed"] == 0
    location = response.headers["Location"]
    assert location.endswith(f"/api/v1/events/{event.slug}/import-jobs/{body['id']}")
    assert _count(db, Invitation) == 0
    assert client.get(location, headers=headers).get_json()["status"] == "queued"
    run_import_jobs(size=100)
    done = client.get(location, headers=headers).get_json()
    assert (done["status"], done["processed"], done["sent"], done["failed"]) == (
        "done",
        300,
        300,
        0,
    )
    assert _count(db, Invitation) == 300
    # Hostile text: a 422 naming the row, nothing stored.
    bad = client.post(url, json={"csv": "email\na@x.org\nb\x00@x.org\n"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"].startswith("csv")
    assert _count(db, ImportJob) == 1


def test_the_api_list_queues_past_the_inline_limit(client, db, api_event, make_user, bearer, app):
    event = api_event("seminar")
    headers = bearer(make_user("organizer", event=event))
    url = f"/api/v1/events/{event.slug}/invitations"
    few = {"invitees": [{"email": "a@x.org"}]}
    assert client.post(url, json=few, headers=headers).status_code == 201
    many = app.config["INVITE_INLINE_MAX"] + 1
    payload = {"invitees": [{"email": f"m{n}@x.org"} for n in range(many)]}
    response = client.post(url, json=payload, headers=headers)
    assert response.status_code == 202
    assert response.get_json()["total"] == many
    assert "/import-jobs/" in response.headers["Location"]
    assert _count(db, Invitation) == 1
    run_import_jobs()
    assert _count(db, Invitation) == many + 1


def test_the_openapi_document_tells_the_202_and_the_job_resource(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    csv = spec["paths"]["/api/v1/events/{slug}/invitations/csv"]["post"]["responses"]
    assert "202" in csv and "Location" in csv["202"]["headers"]
    assert "202" in spec["paths"]["/api/v1/events/{slug}/invitations"]["post"]["responses"]
    job = spec["paths"]["/api/v1/events/{slug}/import-jobs/{job_id}"]["get"]
    assert "200" in job["responses"]
    schema = spec["components"]["schemas"]["ImportJob"]["properties"]
    assert {"processed", "sent", "failed", "failures", "status"} <= set(schema)


# --- privacy: the stored rows hold addresses; erasure reaches them --------------------------


def test_erasure_reaches_the_stored_rows(db, organizer_client, monkeypatch):
    from lanet.network.models import Person
    from lanet.privacy import service as privacy

    client, event = organizer_client
    person = Person(first_name="Ana", last_name="Row", email="p1@x.org", language="es")
    db.session.add(person)
    db.session.commit()
    _upload(client, event, _csv(3))
    exported = privacy.export_person(person.id) if hasattr(privacy, "export_person") else None
    if exported is not None:
        assert "registration.import_rows" in str(exported)
    privacy.erase_person(person.id)
    emails = set(db.session.scalars(select(ImportJobRow.email)))
    assert "p1@x.org" not in emails
    assert {"p0@x.org", "p2@x.org"} <= emails


# --- a real Celery worker -------------------------------------------------------------------


@pytest.mark.services
def test_a_real_worker_sends_the_file_and_the_counts_move(
    db, app, organizer_client, service_env, tmp_path
):
    from tests.processes import start_worker

    client, event = organizer_client
    # The documented per-queue worker: bulk sends go on "mail"; small chunks, so that the
    # counts are seen moving. No send rate: at the default 600 a minute the 1,000 invitations
    # waited a minute for the pacer (tests/test_mail.py holds the rate).
    worker = start_worker(
        {**service_env, "IMPORT_CHUNK_ROWS": "50", "MAIL_RATE_PER_MINUTE": "0"},
        tmp_path / "worker.log",
        queues="mail",
        concurrency=1,
    )
    try:
        response = _upload(client, event, _csv(1_000))
        assert response.status_code == 302
        assert _count(db, Invitation) == 0  # the request sent nothing itself
        job_id = _job(db).id
        url = f"/manage/events/{event.slug}/imports/{job_id}.json"
        seen: list[int] = []
        deadline = time.monotonic() + 180
        status = {}
        while time.monotonic() < deadline:
            status = client.get(url).get_json()
            seen.append(status["processed"])
            if status["finished"]:
                break
            time.sleep(0.05)
        assert status.get("status") == "done", worker.output()[-3000:]
    finally:
        worker.stop()
    assert (status["processed"], status["sent"], status["failed"]) == (1_000, 1_000, 0)
    # The page saw the job part-way: rows processed moved up in chunks, never down.
    assert any(0 < n < 1_000 for n in seen), seen
    assert seen == sorted(seen)
    assert _count(db, Invitation) == 1_000
    assert _count(db, OutboxMessage, OutboxMessage.template == "invitation") == 1_000
