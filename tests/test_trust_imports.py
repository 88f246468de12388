"""Issue 14, item 5 (the limits): every import states a row and a size limit and refuses a
file past them at once, with a clear error and nothing written."""

from __future__ import annotations

import io
import time

from sqlalchemy import func, select

from lanet.attendance.models import Attendance
from lanet.registration.imports import INVITATION_MAX_ROWS, NOMINATION_MAX_ROWS
from lanet.registration.models import ImportJob, ImportJobRow, Invitation


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _csv(rows: int) -> bytes:
    # Short rows: 100,000 of them stay under the 2 MB upload limit, so the row limit speaks.
    return ("email\n" + "".join(f"p{n}@x.org\n" for n in range(rows))).encode()


def test_a_100000_row_invitation_csv_is_refused_at_once(
    db, fresh_client, make_event, make_user, sign_in
):
    event = make_event()
    sign_in(fresh_client, make_user("organizer", event=event))
    started = time.monotonic()
    response = fresh_client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (io.BytesIO(_csv(100_000)), "invitees.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert time.monotonic() - started < 10
    assert response.status_code == 422
    assert f"more than {INVITATION_MAX_ROWS} rows" in response.get_data(as_text=True)
    assert _count(db, Invitation) == 0
    assert _count(db, ImportJob) == 0
    # At the limit the file goes through: validated and queued for a worker, which sends it
    # (tests/test_import_jobs.py), never inside the request.
    started = time.monotonic()
    accepted = fresh_client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (io.BytesIO(_csv(INVITATION_MAX_ROWS)), "invitees.csv")},
        content_type="multipart/form-data",
    )
    assert time.monotonic() - started < 20
    assert accepted.status_code == 302 and "/imports/" in accepted.headers["Location"]
    assert _count(db, Invitation) == 0
    assert _count(db, ImportJobRow) == INVITATION_MAX_ROWS


def test_the_api_csv_has_the_same_row_limit(client, db, api_event, make_user, bearer):
    event = api_event("seminar")
    headers = bearer(make_user("organizer", event=event))
    text = _csv(INVITATION_MAX_ROWS + 1).decode()
    response = client.post(
        f"/api/v1/events/{event.slug}/invitations/csv", json={"csv": text}, headers=headers
    )
    assert response.status_code == 422
    [problem] = response.get_json()["invalid_params"]
    assert str(INVITATION_MAX_ROWS) in problem["reason"]  # the limit, in the default language
    assert _count(db, Invitation) == 0
    assert _count(db, ImportJob) == 0


def test_a_file_past_the_size_limit_gets_413_with_a_clear_page(
    app, db, fresh_client, make_event, make_user, sign_in, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    event = make_event()
    sign_in(fresh_client, make_user("organizer", event=event))
    response = fresh_client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.get_data(as_text=True)


def test_nominations_and_sign_in_sheets_have_row_limits(db, world, make_user):
    from lanet.attendance import service as attendance
    from lanet.registration import imports
    from lanet.registration.errors import ImportRejected

    header = "first_name,last_name,email\n"
    rows = "".join(f"A,B,n{n}@example.org\n" for n in range(NOMINATION_MAX_ROWS + 1))
    try:
        imports.parse_nomination_csv(header + rows)
    except ImportRejected as error:
        assert str(NOMINATION_MAX_ROWS) in str(error.errors[0][1])
    else:
        raise AssertionError("a nomination file past the limit was read")

    sheet = "email,day\n" + "".join(
        f"x{n}@example.org,2014-06-02\n" for n in range(attendance.SHEET_MAX_ROWS + 1)
    )
    try:
        attendance.import_sign_in_sheet(world.e1.id, "sheet.csv", sheet.encode(), user_id=None)
    except attendance.ImportRejected as error:
        assert str(attendance.SHEET_MAX_ROWS) in str(error.errors[0].message)
    else:
        raise AssertionError("a sheet past the limit was read")
    assert _count(db, Attendance) == 0
