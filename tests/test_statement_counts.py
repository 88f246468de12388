"""Statement counts of the hot paths (issue 16): deterministic guards that fail when a change
adds round trips to one registration. Counted with SQLAlchemy's `before_cursor_execute`, so
every statement the database sees is counted, BEGIN/COMMIT aside (the driver sends those)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event as sa_event

from lanet.extensions import db as _db
from lanet.registration import service

# One registration confirmed through the service, starting from an empty session as a request
# does: a newcomer (new person, known institution) and a returning person. The numbers are what
# the path costs; a change that grows them must say why and raise them here. PostgreSQL takes
# the seat in one statement; SQLite, which has no data-modifying CTE, counts a quota's seat in a
# statement of its own (+1 when the country has a quota: the newcomer here is from AR).
# Third pass: the person and the typed institution are looked up with the country (one
# statement, was two); the seat in one statement (was two).
# Fourth pass (storm, PostgreSQL): the lookup also tells whether a returning person is
# registered already and draws the ids of the rows to write, and the person, the
# registration, its audit entry and its email are written by one statement of data-modifying
# CTEs (was one INSERT each): the event, the lookup, the seat look, the rows, the seat step.
NEWCOMER_CONFIRMED_STATEMENTS = 5  # was 17 before issue 16, then 13 (+1 on PostgreSQL), 10, 8
RETURNING_CONFIRMED_STATEMENTS = 5  # was 14, then 11 (+1), 9, 8
SQLITE_QUOTA_STATEMENT = 1
# SQLite writes the rows one INSERT each (the newcomer's person, the registration, its audit
# entry and its email: 3 more than one statement) and asks whether a returning person is
# registered already in a statement of its own (+1, with 2 more INSERTs): 3 more either way.
SQLITE_ROWS_ONE_BY_ONE = 3
# A newcomer the seat look finds no seat for (two thirds of a storm): the event, the lookup,
# the seat look (which also counts the line ahead, their place for the email), the rows (no
# seat step). Was 9: the rows one INSERT each, the new registration's row read back whole to
# see `offer_expires_at`, a column nothing fills (lanet/core/rows.py now knows it is NULL),
# and the place in line a statement of its own (SQLite keeps it: + SQLITE_PLACE_IN_LINE).
WAITLISTED_NEWCOMER_STATEMENTS = 4
SQLITE_PLACE_IN_LINE = 1
# Statements sent while the event's row lock is held, after the one that takes it (COMMIT
# aside): every registration of a storm on one capped event waits for this section. PostgreSQL
# only: SQLite has no row locks (its one writer lock is held from the first INSERT).
UNDER_SEAT_LOCK = 0  # was 3 (lock, quotas, counters; then the quota's UPDATE), then 1
# The public form's POST, whole request (a newcomer of a known institution): the event alone,
# the submitted country, then the service. Was 22 with the event's quotas and partners, every
# country and institution, and the event reloaded after the commit; then 11, then 10 (the
# person and the typed institution in one lookup). Third pass: the submitted country's check is
# remembered per process once found (countries are never deleted; the warm-up POST found it),
# and the seat is taken in one statement (was two): 8. Fourth pass: the rows in one statement
# on PostgreSQL (SQLite: + SQLITE_ROWS_ONE_BY_ONE).
FORM_POST_STATEMENTS = 5
# The ORM's unit of work flushes during one registration: its rows (person, registration,
# audit entry, outbox row) are written by Core INSERTs as they are built (lanet/core/rows.py).
# Was 3 (the person; the registration; the audit entry with the outbox row).
REGISTRATION_FLUSHES = 0


@contextlib.contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = _db.engine
    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)


def _applicant(number: int, **values) -> service.Applicant:
    fields = dict(
        first_name="Ana",
        last_name=f"Counted {number}",
        email=f"ana.counted{number}@example.org",
        country_code="AR",
        new_institution_name="Ministerio de Relaciones Exteriores",
        new_institution_kind="ministry_foreign_affairs",
        position="Asesora",
        consent=True,
    )
    fields.update(values)
    return service.Applicant(**fields)


def test_one_registration_costs_a_fixed_number_of_statements(db, make_event, on_postgres) -> None:
    event_id = make_event(capacity=10, quotas={"AR": 3, "BR": 3}).id
    other_id = make_event(capacity=10, slug="counted-second").id
    service.register(event_id, _applicant(0))  # warms caches (countries, mappers)
    db.session.remove()  # a request starts with an empty session
    with counted() as newcomer:
        registration = service.register(event_id, _applicant(1))
    assert registration.status == "confirmed"
    db.session.remove()
    with counted() as returning:
        again = service.register(other_id, _applicant(1))
    assert again.status == "confirmed"
    for name, statements in (("newcomer", newcomer), ("returning", returning)):
        print(f"\n--- {name}: {len(statements)} statements")
        print("\n".join(s.split("\n")[0][:100] for s in statements))
    extra = 0 if on_postgres else SQLITE_ROWS_ONE_BY_ONE
    quota = 0 if on_postgres else SQLITE_QUOTA_STATEMENT
    assert len(newcomer) <= NEWCOMER_CONFIRMED_STATEMENTS + extra + quota, newcomer
    assert len(returning) <= RETURNING_CONFIRMED_STATEMENTS + extra, returning
    if on_postgres:
        for statements in (newcomer, returning):
            assert len(_after_the_seat_lock(statements)) <= UNDER_SEAT_LOCK, statements


def test_a_waitlisted_newcomer_costs_a_fixed_number_of_statements(
    db, make_event, on_postgres
) -> None:
    event_id = make_event(capacity=1).id
    service.register(event_id, _applicant(0))  # takes the one seat, warms caches
    db.session.remove()
    with counted() as statements:
        registration = service.register(event_id, _applicant(1))
    assert registration.status == "waitlisted"
    print(f"\n--- waitlisted newcomer: {len(statements)} statements")
    print("\n".join(s.split("\n")[0][:100] for s in statements))
    extra = 0 if on_postgres else SQLITE_ROWS_ONE_BY_ONE + SQLITE_PLACE_IN_LINE
    assert len(statements) <= WAITLISTED_NEWCOMER_STATEMENTS + extra, statements


# What takes the event's row lock: the seat step's statement (its `locked` CTE), or an explicit
# lock (`lanet.events.locks`) or, before the one-statement seat step, its UPDATE of events.
_LOCKING = ("FOR NO KEY UPDATE", "UPDATE events")


def _after_the_seat_lock(statements: list[str]) -> list[str]:
    """The statements after the one that takes the event's row lock: the seat step is last,
    right before the commit."""
    locking = [
        i for i, s in enumerate(statements) if any(m in " ".join(s.split()) for m in _LOCKING)
    ]
    assert locking, statements
    return statements[locking[0] + 1 :]


@contextlib.contextmanager
def flushes() -> Iterator[list[int]]:
    """The unit of work's flushes that wrote something (a clean session's flush is none)."""
    from sqlalchemy.orm import Session

    done: list[int] = []

    def after_flush(session, context) -> None:
        done.append(len(context.states))

    sa_event.listen(Session, "after_flush", after_flush)
    try:
        yield done
    finally:
        sa_event.remove(Session, "after_flush", after_flush)


def test_the_form_post_costs_a_fixed_number_of_statements(
    db, fresh_client, make_event, applicant, on_postgres
) -> None:
    event = make_event(capacity=10, quotas={"AR": 3, "BR": 3})
    url = f"/events/{event.slug}/register"
    assert fresh_client.post(url, data=applicant(country="CO")).status_code == 302  # warms up
    with counted() as statements, flushes() as flushed:
        answer = fresh_client.post(url, data=applicant(country="CO"))
    assert answer.status_code == 302
    assert len(flushed) <= REGISTRATION_FLUSHES, flushed
    print(f"\n--- form POST: {len(statements)} statements")
    print("\n".join(s.split("\n")[0][:100] for s in statements))
    extra = 0 if on_postgres else SQLITE_ROWS_ONE_BY_ONE
    assert len(statements) <= FORM_POST_STATEMENTS + extra, statements
    if on_postgres:
        assert len(_after_the_seat_lock(statements)) <= UNDER_SEAT_LOCK, statements


def test_the_wtforms_catalog_is_read_once_not_per_request(
    fresh_client, make_event, applicant, monkeypatch
) -> None:
    """Flask-WTF read WTForms' catalog from disk on each request that built the registration
    form (its hidden field has no label, so WTForms translates one): lanet/core/forms.py
    keeps each language's catalog."""
    from babel import support

    loads: list[str] = []
    load = support.Translations.load

    def counted_load(*args, **kwargs):
        if kwargs.get("domain") == "wtforms":
            loads.append(str(args[1:]))
        return load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted_load)
    event = make_event(capacity=10)
    for number in range(3):
        answer = fresh_client.post(
            f"/events/{event.slug}/register",
            data=applicant(country="CO", email=f"catalog{number}@example.org"),
            headers={"Accept-Language": "pt"},
        )
        assert answer.status_code == 302
    # A bad choice still gets WTForms' message in the reader's language.
    answer = fresh_client.post(
        f"/events/{event.slug}/register",
        data=applicant(country="CO", role="nobody"),
        headers={"Accept-Language": "pt"},
    )
    assert answer.status_code == 422
    assert "Escolha inválida." in answer.get_data(as_text=True)
    assert len(loads) <= 1, loads


# --- the delivery loop (issue 16 item 2) -------------------------------------------------------

# One delivery task over one batch, whatever the batch's size: claim (fail the exhausted, pick,
# take), load (the rows, their attachments), mark sent (the private links out of the kept
# contexts, the sent mark), and the claim that finds nothing left (fail the exhausted, pick).
# PostgreSQL sends three more: SET LOCAL synchronous_commit TO OFF in the two claims and the
# mark. Before issue 16 every message cost its own mark (an UPDATE and its commit, plus SET
# LOCAL on PostgreSQL): 7 + 1 per message on SQLite, 12 for 5 messages and 47 for 40.
DELIVERY_BATCH_STATEMENTS = 9


def _queue_mail(count: int) -> None:
    from lanet.mail.service import queue_message

    for number in range(count):
        queue_message(
            to=f"counted{number}@example.org",
            name=f"Counted {number}",
            template="test_message",
            language=("es", "pt", "en")[number % 3],
            # Half of them carry a private link, which leaves the context once sent.
            context={"note": str(number)}
            | ({"manage_url": f"https://lanet.example/r/{number}"} if number % 2 else {}),
        )
    _db.session.commit()


def test_a_delivery_batch_costs_the_same_statements_for_5_messages_as_for_40(
    db, mail_to_sink, app, monkeypatch, on_postgres
) -> None:
    from lanet.mail import service as mail

    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 50)
    _queue_mail(2)
    assert mail.deliver_due().sent == 2  # warms caches (mappers, compiled templates)
    counts: dict[int, list[str]] = {}
    for size in (5, 40):
        _queue_mail(size)
        db.session.remove()
        with counted() as statements:
            report = mail.deliver_due()
        assert (report.sent, report.failed) == (size, 0), report.errors
        counts[size] = statements
    mail_to_sink.wait_for(47)
    for size, statements in counts.items():
        print(f"\n--- a batch of {size}: {len(statements)} statements")
        print("\n".join(s.split("\n")[0][:100] for s in statements))
    extra = 3 if on_postgres else 0
    assert len(counts[40]) == len(counts[5]), counts
    assert len(counts[40]) <= DELIVERY_BATCH_STATEMENTS + extra, counts[40]
    # The private links did leave the stored contexts.
    from sqlalchemy import select

    from lanet.mail.models import OutboxMessage

    contexts = db.session.scalars(select(OutboxMessage.context)).all()
    assert not any("manage_url" in (context or {}) for context in contexts)
    assert all(status == "sent" for status in db.session.scalars(select(OutboxMessage.status)))


def test_confirmation_calendars_are_loaded_once_per_batch_not_per_message(
    db, mail_to_sink, app, monkeypatch, make_event
) -> None:
    """A confirmation's calendar is built by the mail worker from its registration: the batch
    loads the registrations (with person, event and country) in one query. What still costs
    one statement per confirmation is the check-in QR code in its HTML (attendance's template
    global `badge_qr` looks the registration up by its manage token); before the batch load
    a confirmation cost three (that lookup, its registration, its person)."""
    from sqlalchemy import select

    from lanet.mail import service as mail
    from lanet.mail.models import OutboxMessage

    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 50)
    event_id = make_event(capacity=50).id
    counts: dict[int, list[str]] = {}
    number = 100
    for size in (2, 6):
        for _ in range(size):
            service.register(event_id, _applicant(number))
            number += 1
        queued = db.session.scalars(
            select(OutboxMessage.calendar_method).where(OutboxMessage.status == "pending")
        ).all()
        assert queued.count("REQUEST") == size  # the calendars are to be built at delivery
        db.session.remove()
        with counted() as statements:
            report = mail.deliver_due()
        assert report.failed == 0 and report.sent == len(queued), report.errors
        counts[size] = statements
    for size, statements in counts.items():
        print(f"\n--- {size} confirmations: {len(statements)} statements")
        print("\n".join(" ".join(s.split())[-160:] for s in statements))
    per_confirmation = (len(counts[6]) - len(counts[2])) / 4
    assert per_confirmation <= 1, counts
    calendars = [
        message
        for message in mail_to_sink.wait_for(8)
        if any(part.get_content_type() == "text/calendar" for part in message.walk())
    ]
    assert len(calendars) == 8
