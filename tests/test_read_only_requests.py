"""Signed-in pages that only read (issue 16): their statements run without a transaction
(`lanet.core.reads.read_only_request`), a write through the session on such a request is
refused, and the registrations page reads its rows by key whatever the event's size."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import insert, text

from tests.fixtures.registration import create_open_event


def _isolation_levels(client, path: str) -> list[str | None]:
    """The isolation level each statement of the request ran under."""
    from lanet.extensions import db

    levels: list[str | None] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        levels.append(conn.get_execution_options().get("isolation_level"))

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)
    return levels


def test_registrations_page_reads_without_a_transaction(fresh_client, db, sign_in, make_user):
    """Every statement of the page, the signed-in user's included, runs in autocommit: no
    BEGIN, and no ROLLBACK to make psycopg forget its prepared statements. The check-in page,
    not declared read-only, still runs in a transaction (the recorder sees the difference)."""
    event = create_open_event(slug="read-only-page", capacity=None, quotas={"AR": 5})
    user = make_user("organizer", event=event)
    sign_in(fresh_client, user)
    page = _isolation_levels(fresh_client, f"/manage/events/{event.slug}/registrations?lang=en")
    assert page and set(page) == {"AUTOCOMMIT"}, page
    check_in = _isolation_levels(fresh_client, f"/manage/events/{event.slug}/check-in?lang=en")
    assert check_in and "AUTOCOMMIT" not in check_in, check_in


def test_export_and_bulk_send_progress_read_without_a_transaction(
    fresh_client, db, make_event, make_user, sign_in
):
    """The export and a bulk send's progress page and its JSON (polled once a second while
    the send runs) are declared read-only too."""
    import io

    from sqlalchemy import select

    from lanet.extensions import db as _db
    from lanet.registration.models import ImportJob
    from tests.fixtures.registration import run_import_jobs

    event = make_event(capacity=None)
    sign_in(fresh_client, make_user("organizer", event=event))
    sent = fresh_client.post(
        f"/manage/events/{event.slug}/invitations/csv",
        data={"csv-file": (io.BytesIO(b"email,language\nana@x.org,es\n"), "invitees.csv")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    run_import_jobs()
    job = _db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
    for path in (
        f"/manage/events/{event.slug}/registrations.csv",
        f"/manage/events/{event.slug}/registrations.xlsx",
        f"/manage/events/{event.slug}/imports/{job.id}",
        f"/manage/events/{event.slug}/imports/{job.id}.json",
    ):
        levels = _isolation_levels(fresh_client, path)
        assert levels and set(levels) == {"AUTOCOMMIT"}, (path, levels)


def test_a_write_on_a_read_only_request_is_refused_and_writes_nothing(app, db):
    from lanet.core.reads import ReadOnlyRequest, read_only_request
    from lanet.extensions import db as _db
    from lanet.network.models import Country

    def countries() -> int:
        return _db.session.scalar(text("SELECT count(*) FROM countries WHERE code = 'ZZ'"))

    _db.session.remove()
    with app.test_request_context("/"):
        assert read_only_request() is True
        _db.session.add(
            Country(code="ZZ", name_es="Z", name_pt="Z", name_en="Z", membership="member")
        )
        with pytest.raises(ReadOnlyRequest):
            _db.session.flush()
        _db.session.rollback()
        # The rollback ended the autocommit session: a later statement would begin an
        # ordinary transaction. Declared again, a Core write is refused as well.
        assert read_only_request() is True
        with pytest.raises(ReadOnlyRequest):
            _db.session.execute(
                insert(Country).values(
                    code="ZZ", name_es="Z", name_pt="Z", name_en="Z", membership="member"
                )
            )
        _db.session.remove()
    assert countries() == 0
    # The flag ends with the session: the next request writes as usual.
    _db.session.add(Country(code="ZZ", name_es="Z", name_pt="Z", name_en="Z", membership="member"))
    _db.session.commit()
    assert countries() == 1


def test_read_only_request_leaves_a_begun_transaction_alone(app, db):
    """Something read already in a transaction: the request stays in it (no second
    connection, no change of isolation mid-transaction)."""
    from lanet.core.reads import READ_ONLY, read_only_request
    from lanet.extensions import db as _db

    _db.session.remove()
    with app.test_request_context("/"):
        _db.session.execute(text("SELECT 1"))
        assert read_only_request() is False
        assert READ_ONLY not in _db.session.info
        _db.session.remove()


def test_registrations_page_rows_are_read_by_key_on_postgresql(db, on_postgres):
    """With 3,000 registrations and planner statistics, the page's statement reads its 50
    rows, their people and institutions through primary keys: no scan of registrations or
    people (the plain join hashed the 50 picked ids against every registration, 4x the
    page's execution time at 5,000)."""
    if not on_postgres:
        pytest.skip("PostgreSQL's planner")
    from lanet.extensions import db as _db
    from lanet.registration import listing

    event = create_open_event(slug="planned-registrations", capacity=None)
    _db.session.execute(
        text(
            "INSERT INTO people (first_name, last_name, email, country_code, language, "
            "consent_contact, created_at, updated_at) SELECT 'Ana', 'Planned ' || n, "
            "'planned' || n || '@test.lanet.example', 'AR', 'es', false, now(), now() "
            "FROM generate_series(1, 3000) AS n"
        )
    )
    _db.session.execute(
        text(
            "INSERT INTO registrations (person_id, event_id, role, status, created_at, "
            "updated_at, token_nonce, token_hash) SELECT id, :event, 'participant', "
            "'confirmed', now() - (id || ' seconds')::interval, now(), md5(id::text), "
            "md5('h' || id) FROM people WHERE last_name LIKE 'Planned %'"
        ),
        {"event": event.id},
    )
    _db.session.commit()
    _db.session.execute(text("ANALYZE people"))
    _db.session.execute(text("ANALYZE registrations"))
    statement = listing._page_statement(True, True, False, False, False, 0)
    compiled = statement.compile(
        dialect=_db.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = "\n".join(
        row[0]
        for row in _db.session.connection().exec_driver_sql(
            f"EXPLAIN {compiled}",
            {**compiled.params, "event_id": event.id, "limit": 50, "offset": 0},
        )
    )
    assert "Seq Scan on registrations" not in plan, plan
    assert "Seq Scan on people" not in plan, plan
    rows = listing.registrations_page(event.id, listing.RegistrationFilter(), known_total=3000).rows
    assert len(rows) == 50 and rows[0].name == "Ana Planned 3000"
