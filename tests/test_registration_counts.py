"""`registration_counts`, kept by database triggers (lanet/registration/count_triggers.py), against
the registrations themselves counted with a real GROUP BY, after every kind of change: register
(confirmed, waitlisted, pending), cancel, approve, decline, offer, accept, expire, a person's
own change of institution, the event moved and cancelled, erasure, bulk writes that bypass the
ORM, and the organizers' page heading that reads them."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from lanet.core.types import utcnow
from lanet.network.models import Institution, Person
from lanet.registration import queries, service, waitlist
from lanet.registration.models import Registration, RegistrationCount
from tests.fixtures.registration import create_open_event

_numbers = itertools.count(1)


def _real(db, event_id: int) -> dict:
    rows = db.session.execute(
        select(Registration.status, Person.country_code, Person.institution_id, func.count())
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.event_id == event_id)
        .group_by(Registration.status, Person.country_code, Person.institution_id)
    )
    return {(status, country, institution): n for status, country, institution, n in rows}


def _kept(db, event_id: int) -> dict:
    rows = db.session.execute(
        select(
            RegistrationCount.status,
            RegistrationCount.country_code,
            RegistrationCount.institution_id,
            func.sum(RegistrationCount.number),
        )
        .where(RegistrationCount.event_id == event_id)
        .group_by(
            RegistrationCount.status,
            RegistrationCount.country_code,
            RegistrationCount.institution_id,
        )
    )
    return {(status, country, inst): n for status, country, inst, n in rows if n}


def _check(db, *events) -> None:
    db.session.expire_all()
    for event in events:
        real = _real(db, event.id)
        assert _kept(db, event.id) == real, event.slug
        totals, _choices = queries.overview(event.id)
        by_status: dict[str, int] = {}
        for (status, _country, _institution), n in real.items():
            by_status[status] = by_status.get(status, 0) + n
        assert dict(totals["status"]) == by_status


def _applicant(country: str = "AR", institution_id: int | None = None, **overrides):
    number = next(_numbers)
    values = {
        "first_name": "Ana",
        "last_name": f"Contada {number}",
        "email": f"contada{number}@example.org",
        "country_code": country,
        "institution_id": institution_id,
        "new_institution_name": None if institution_id else f"Ministerio {country}",
        "new_institution_kind": None if institution_id else "ministry_foreign_affairs",
        "consent": True,
    }
    return service.Applicant(**{**values, **overrides})


def test_counts_follow_every_kind_of_registration_change(db):
    event = create_open_event(capacity=3, quotas={"MX": 1})
    pending_event = create_open_event(capacity=None, requires_approval=True)
    _check(db, event, pending_event)

    first = service.register(event.id, _applicant("AR"))
    second = service.register(event.id, _applicant("BR"))
    assert {first.status, second.status} == {"confirmed"}
    _check(db, event)  # register: confirmed
    third = service.register(event.id, _applicant("AR"))
    fourth = service.register(event.id, _applicant("PE"))
    assert {third.status, fourth.status} == {"waitlisted"}
    _check(db, event)  # register: waitlisted
    mx = service.register(event.id, _applicant("MX"))
    assert mx.status == "confirmed"  # its quota's seat
    _check(db, event)

    service.cancel_registration(first.manage_token)
    _check(db, event)  # cancel
    offered = waitlist.promote_waiting_list(event.id)
    assert offered == [third.id]
    _check(db, event)  # offer (stays waitlisted, holds a seat)
    waitlist.accept_offer(third.manage_token)
    _check(db, event)  # accept: confirmed
    service.cancel_registration(second.manage_token)
    assert waitlist.promote_waiting_list(event.id) == [fourth.id]
    assert waitlist.expire_offers(now=utcnow() + timedelta(days=30)) == [fourth.id]
    _check(db, event)  # expire

    asking = [service.register(pending_event.id, _applicant(c)) for c in ("AR", "BR", "CO")]
    assert {r.status for r in asking} == {"pending"}
    _check(db, pending_event)  # register: pending
    service.approve([asking[0].id, asking[1].id], None)
    _check(db, pending_event)  # approve
    service.decline([asking[2].id], "No seats for this profile.", None)
    _check(db, pending_event)  # decline
    _check(db, event)  # the other event's counts never moved


def test_a_persons_changes_move_their_counts_in_every_event(db):
    from lanet.events import service as events
    from lanet.privacy import service as privacy

    one = create_open_event(capacity=None)
    two = create_open_event(capacity=None, requires_approval=True)
    other = Institution(name="Defensoría del Pueblo", kind="ombudsman", country_code="AR")
    db.session.add(other)
    db.session.commit()
    registration = service.register(one.id, _applicant("AR"))
    service.register(two.id, _applicant("AR", email=registration.person.email))
    service.register(one.id, _applicant("AR"))
    _check(db, one, two)

    # The participant's own change of institution through the private link.
    service.change_registration(registration.manage_token, service.Changes(institution_id=other.id))
    _check(db, one, two)
    # Staff correct the person's country (a plain ORM change of the person).
    person = db.session.get(Person, registration.person_id)
    person.country_code = "CL"
    person.institution_id = None
    db.session.commit()
    _check(db, one, two)

    events.move_event(
        one.id, start_date=one.start_date + timedelta(days=7), end_date=one.end_date + timedelta(7)
    )
    _check(db, one, two)  # move: the event's registrations stay as they were
    privacy.erase_person(registration.person_id)
    _check(db, one, two)  # erase
    events.cancel_event(two.id, reason="Postponed.")
    _check(db, one, two)  # the event cancelled: its registrations cancelled


def test_writes_that_bypass_the_orm_are_counted_too(db):
    """An import or a loader writing rows in bulk (INSERT ... SELECT, UPDATE, DELETE by
    statement): the triggers see them as they see the services."""
    event = create_open_event(capacity=None)
    people = [
        Person(first_name="Bulk", last_name=str(n), country_code=("AR", "BR")[n % 2], language="es")
        for n in range(6)
    ]
    db.session.add_all(people)
    db.session.commit()
    db.session.execute(
        insert(Registration),
        [
            {
                "person_id": person.id,
                "event_id": event.id,
                "status": "pending",
                "role": "participant",
                "token_nonce": f"n{person.id}",
                "token_hash": f"h{person.id}",
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for person in people
        ],
    )
    db.session.commit()
    _check(db, event)
    db.session.execute(
        update(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.person_id.in_([p.id for p in people[:4]]),
        )
        .values(status="confirmed")
    )
    db.session.execute(update(Person).where(Person.id == people[0].id).values(country_code="CO"))
    db.session.commit()
    _check(db, event)
    db.session.execute(
        Registration.__table__.delete().where(Registration.person_id == people[5].id)
    )
    db.session.commit()
    _check(db, event)


def test_a_rolled_back_change_leaves_the_counts_as_they_were(db):
    event = create_open_event(capacity=None)
    service.register(event.id, _applicant("AR"))
    before = _kept(db, event.id)
    registration = db.session.scalar(select(Registration).where(Registration.event_id == event.id))
    registration.status = "cancelled"
    db.session.flush()
    assert _kept(db, event.id) != before  # counted inside the transaction...
    db.session.rollback()
    assert _kept(db, event.id) == before  # ...and gone with it
    _check(db, event)


@pytest.mark.services
def test_concurrent_writers_never_wait_for_each_others_counts(app, db, on_postgres):
    """Two transactions registering people of the same country, institution and status while
    the key's count row exists: the first updates it and holds it to its commit; the second
    adds its count to a new row instead of waiting (a lock timeout of 1 s would fail it).
    Both counts are kept."""
    if not on_postgres:
        pytest.skip("row locks: PostgreSQL")
    event = create_open_event(capacity=None)
    people = [
        Person(first_name="Par", last_name=str(n), country_code="AR", language="es")
        for n in range(3)
    ]
    db.session.add_all(people)
    db.session.commit()
    ids = [person.id for person in people]

    def registering(connection, person_id: int) -> None:
        connection.execute(
            insert(Registration).values(
                person_id=person_id,
                event_id=event.id,
                status="pending",
                role="participant",
                token_nonce=f"c{person_id}",
                token_hash=f"c{person_id}",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )

    with db.engine.begin() as connection:
        registering(connection, ids[0])  # the key's row, committed
    with db.engine.connect() as first, db.engine.connect() as second:
        first.begin()
        second.begin()
        second.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
        registering(first, ids[1])  # updates that row: locked until first commits
        registering(second, ids[2])  # does not wait for it
        second.commit()
        first.commit()
    _check(db, event)
    assert _kept(db, event.id) == {("pending", "AR", None): 3}
    rows = db.session.scalar(select(func.count()).where(RegistrationCount.event_id == event.id))
    assert rows == 2  # the second writer's own row


@pytest.mark.services
def test_a_registration_during_a_change_of_its_persons_country(app, db, on_postgres):
    """A person's country changes (uncommitted) while one of their registrations is written:
    the registration's count waits for that change and is made under the new country, so the
    counts match once both commit."""
    import threading

    if not on_postgres:
        pytest.skip("row locks: PostgreSQL")
    event = create_open_event(capacity=None)
    person = Person(first_name="Ida", last_name="Vuelta", country_code="AR", language="es")
    db.session.add(person)
    db.session.commit()
    person_id = person.id
    engine = db.engine
    with engine.connect() as changing:
        changing.begin()
        changing.execute(update(Person).where(Person.id == person_id).values(country_code="BR"))

        def register() -> None:
            with app.app_context(), engine.begin() as connection:
                connection.execute(
                    insert(Registration).values(
                        person_id=person_id,
                        event_id=event.id,
                        status="confirmed",
                        role="participant",
                        token_nonce="race",
                        token_hash="race",
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )

        writer = threading.Thread(target=register)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive()  # waiting for the person's change
        changing.commit()
    writer.join(10)
    assert not writer.is_alive()
    _check(db, event)
    assert _kept(db, event.id) == {("confirmed", "BR", None): 1}


def test_the_migrations_backfill_counts_what_is_there(db):
    """Migration 0015 fills the table from the registrations already there with
    `count_triggers.BACKFILL`: run on registrations of several kinds, it gives their counts."""
    from sqlalchemy import delete, text

    from lanet.registration import count_triggers

    event = create_open_event(capacity=1, quotas={"MX": 1})
    for country in ("AR", "AR", "MX", "BR", None):
        service.register(event.id, _applicant(country))
    expected = _kept(db, event.id)
    assert sum(expected.values()) == 5 and len(expected) >= 3
    db.session.execute(delete(RegistrationCount))
    assert _kept(db, event.id) == {}
    db.session.execute(text(count_triggers.BACKFILL))
    db.session.commit()
    assert _kept(db, event.id) == expected
    _check(db, event)
