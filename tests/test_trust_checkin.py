"""Issue 14, item 9: a check-in nonce belongs to one event and one device (the signed-in
organizer's session): a nonce used elsewhere never returns someone else's attendee."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from lanet.attendance import codes, service
from lanet.attendance.models import Attendance
from lanet.extensions import db as _db


def test_a_nonce_used_at_another_event_records_this_events_attendee(world, make_user):
    first_organizer = make_user("organizer", event=world.e1)
    other_organizer = make_user("organizer", event=world.e2)
    ana = codes.check_in_code(world.registrations[("ana", "e1")])
    carla = codes.check_in_code(world.registrations[("carla", "e2")])

    first = service.check_in_by_code(
        world.e1.id, ana, date(2014, 6, 2), nonce="same-nonce", user_id=first_organizer.id
    )
    other = service.check_in_by_code(
        world.e2.id, carla, date(2014, 11, 10), nonce="same-nonce", user_id=other_organizer.id
    )

    assert first.registration.person.first_name == "Ana"
    assert other.registration.person.first_name == "Carla"
    assert other.attendance.id != first.attendance.id
    assert other.attendance.registration.event_id == world.e2.id
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 2


def test_a_nonce_from_another_device_at_the_same_event_is_its_own_scan(world, make_user):
    one = make_user("organizer", event=world.e1)
    two = make_user("organizer", event=world.e1)
    ana = codes.check_in_code(world.registrations[("ana", "e1")])
    bruno = codes.check_in_code(world.registrations[("bruno", "e1")])
    service.check_in_by_code(world.e1.id, ana, date(2014, 6, 2), nonce="n", user_id=one.id)
    second = service.check_in_by_code(
        world.e1.id, bruno, date(2014, 6, 2), nonce="n", user_id=two.id
    )
    assert second.registration.person.first_name == "Bruno"
    assert not second.already


def test_the_same_device_replaying_its_scan_gets_the_first_answer(world, make_user):
    organizer = make_user("organizer", event=world.e1)
    ana = codes.check_in_code(world.registrations[("ana", "e1")])
    first = service.check_in_by_code(
        world.e1.id, ana, date(2014, 6, 2), nonce="n-9", user_id=organizer.id
    )
    replay = service.check_in_by_code(
        world.e1.id, ana, date(2014, 6, 2), nonce="n-9", user_id=organizer.id
    )
    assert replay.attendance.id == first.attendance.id and not replay.already
    # The nonce is not stored as sent: another event's organizer cannot find it.
    assert _db.session.scalar(select(Attendance.nonce)) != "n-9"
