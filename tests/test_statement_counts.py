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
# the path costs; a change that grows them must say why and raise them here. PostgreSQL sends
# one more: SET LOCAL lock_timeout before the seat lock.
NEWCOMER_CONFIRMED_STATEMENTS = 13  # was 17 before issue 16
RETURNING_CONFIRMED_STATEMENTS = 11  # was 14


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
    extra = 1 if on_postgres else 0
    assert len(newcomer) <= NEWCOMER_CONFIRMED_STATEMENTS + extra, newcomer
    assert len(returning) <= RETURNING_CONFIRMED_STATEMENTS + extra, returning
