"""Event management services: create, edit with the seat invariants, copy, series, lifecycle.

Bad input is refused with the field named and nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from lanet.agenda.models import AgendaItem
from lanet.core.audit import AuditEntry
from lanet.events import editing, lifecycle
from lanet.events.models import Event, EventQuota
from lanet.events.validation import EventInput, EventInvalid, proposed_timezone
from lanet.registration import service as registration
from tests.fixtures.registration import create_open_event, ensure_countries


def _input(**overrides) -> EventInput:
    ensure_countries("AR", "BR", "PL", "MX", "CO", "PE", "CL")
    start = overrides.pop("start_date", date.today() + timedelta(days=90))
    values = dict(
        kind="lemkin_seminar",
        title="Raphael Lemkin Seminar, cycle 3, part 1",
        title_translations={
            "es": "Seminario Raphael Lemkin, ciclo 3, parte 1",
            "pt": "Seminário Raphael Lemkin, ciclo 3, parte 1",
            "en": "Raphael Lemkin Seminar, cycle 3, part 1",
        },
        slug="lemkin-c3-p1",
        timezone="Europe/Warsaw",
        start_date=start,
        end_date=start + timedelta(days=9),
        city="Oświęcim",
        country_code="PL",
        capacity=30,
        quotas={"AR": 3, "BR": 3},
        languages=["es", "pt", "en"],
    )
    values.update(overrides)
    return EventInput(**values)


def _count(model) -> int:
    from lanet.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_create_event_is_audited_with_its_values(db):
    event = editing.create_event(_input())
    assert event.status == "planned"
    assert {q.country_code: q.seats for q in event.quotas} == {"AR": 3, "BR": 3}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.created"))
    assert entry.changes["after"]["capacity"] == 30
    assert entry.changes["after"]["quotas"] == {"AR": 3, "BR": 3}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"end_date": date.today() + timedelta(days=80)}, "end_date"),
        (
            {"registration_closes_at": datetime.now(UTC) + timedelta(days=200)},
            "registration_closes_at",
        ),
        ({"quotas": {"AR": 20, "BR": 20}}, "quotas"),
        ({"quotas": {"ZZ": 2}}, "quotas"),
        ({"country_code": "ZZ"}, "country_code"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"kind": "party"}, "kind"),
        ({"capacity": -1}, "capacity"),
        ({"languages": []}, "languages"),
        ({"online_url": "javascript:alert(1)", "attendance_mode": "online"}, "online_url"),
        ({"start_time": time(9, 0)}, "end_time"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(db, overrides, field):
    events, audits = _count(Event), _count(AuditEntry)
    with pytest.raises(EventInvalid) as refused:
        editing.create_event(_input(**overrides))
    assert field in refused.value.errors, refused.value.errors
    assert (_count(Event), _count(AuditEntry)) == (events, audits)


def test_duplicate_slug_is_refused(db):
    editing.create_event(_input())
    with pytest.raises(EventInvalid) as refused:
        editing.create_event(_input())
    assert "slug" in refused.value.errors
    assert _count(Event) == 1


def test_timezone_is_proposed_from_the_country():
    assert proposed_timezone("PL") == "Europe/Warsaw"
    assert proposed_timezone("PE") == "America/Lima"
    assert proposed_timezone("AR").startswith("America/")
    assert proposed_timezone("ZZ") is None


def _register(event, number, country="MX"):
    return registration.register(
        event.id,
        registration.Applicant(
            first_name="Ana",
            last_name=f"Pérez {number}",
            email=f"ana.perez{number}@example.org",
            country_code=country,
            new_institution_name="Ministerio",
            consent=True,
        ),
    )


def test_capacity_below_confirmed_is_refused_naming_the_numbers(db):
    event = create_open_event(capacity=5, quotas={"AR": 2})
    for number in range(3):
        _register(event, number)
    _register(event, 10, "AR")
    with pytest.raises(EventInvalid) as refused:
        editing.set_capacity(event.id, 3, {"AR": 2})
    message = str(refused.value.errors["capacity"])
    assert "3" in message and "4" in message
    with pytest.raises(EventInvalid) as refused:
        editing.set_capacity(event.id, 5, {"AR": 0})
    assert "1" in str(refused.value.errors["quotas"])
    with pytest.raises(EventInvalid) as refused:
        editing.set_capacity(event.id, 5, {})
    assert "AR" in str(refused.value.errors["quotas"])
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 5


def test_quota_sum_above_capacity_is_refused(db):
    event = create_open_event(capacity=5)
    with pytest.raises(EventInvalid) as refused:
        editing.set_capacity(event.id, 5, {"AR": 3, "BR": 3})
    assert "6" in str(refused.value.errors["quotas"])
    db.session.expire_all()
    assert _count(EventQuota) == 0


def test_raising_capacity_offers_the_seats_to_the_waiting_list_at_once(db):
    event = create_open_event(capacity=1)
    _register(event, 1)
    waiting = _register(event, 2)
    assert waiting.status == "waitlisted"
    editing.set_capacity(event.id, 2)
    db.session.expire_all()
    offered = db.session.get(type(waiting), waiting.id)
    assert offered.offer_expires_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.updated"))
    assert entry.changes == {"before": {"capacity": 1}, "after": {"capacity": 2}}


def test_edit_cannot_move_dates(db):
    event = editing.create_event(_input())
    data = EventInput.from_event(event)
    data.start_date += timedelta(days=1)
    data.end_date += timedelta(days=1)
    with pytest.raises(EventInvalid) as refused:
        editing.update_event(event.id, data)
    assert "start_date" in refused.value.errors


def test_copy_carries_settings_quotas_and_the_agenda_skeleton(db):
    source = editing.create_event(_input(slug="lemkin-c2-p1", start_date=date(2014, 6, 2)))
    source_start = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)  # 11:00 in Warsaw (summer)
    db.session.add(
        AgendaItem(
            event_id=source.id,
            kind="session",
            title="Opening",
            starts_at=source_start,
            ends_at=source_start + timedelta(hours=1),
            room="Sala A",
        )
    )
    db.session.commit()
    new_start = date.today() + timedelta(days=120)
    data = editing.copy_input(source, new_start, slug="lemkin-c3-p1")
    copy = editing.copy_event(source.id, data)
    assert copy.start_date == new_start and copy.end_date == new_start + timedelta(days=9)
    assert {q.country_code: q.seats for q in copy.quotas} == {"AR": 3, "BR": 3}
    (item,) = db.session.scalars(select(AgendaItem).where(AgendaItem.event_id == copy.id))
    from zoneinfo import ZoneInfo

    local = item.starts_at.astimezone(ZoneInfo("Europe/Warsaw"))
    assert (local.date(), local.time()) == (new_start, time(11, 0))
    assert item.room == "Sala A"


def test_registration_opens_and_closes_on_its_window(db):
    now = datetime.now(UTC)
    event = editing.create_event(
        _input(
            registration_opens_at=now + timedelta(hours=1),
            registration_closes_at=now + timedelta(days=10),
        )
    )
    assert lifecycle.sweep_windows(now) == {"opened": [], "closed": []}
    assert lifecycle.sweep_windows(now + timedelta(hours=2))["opened"] == [event.id]
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "open"
    assert lifecycle.sweep_windows(now + timedelta(days=11))["closed"] == [event.id]
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "closed"


def test_registration_never_stays_open_after_the_start(db):
    event = create_open_event(capacity=5, start=date.today() - timedelta(days=1))
    assert lifecycle.sweep_windows()["closed"] == [event.id]


def test_a_past_event_cannot_be_opened(db):
    event = create_open_event(status="planned", start=date(2015, 5, 4))
    with pytest.raises(EventInvalid) as refused:
        lifecycle.open_registration(event.id)
    assert "status" in refused.value.errors
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "planned"


def _messages(event_id: int, template: str):
    from lanet.extensions import db
    from lanet.mail.models import OutboxMessage

    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event_id == event_id, OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
    )


def test_move_tells_confirmed_and_waitlisted_what_changed(db):
    event = create_open_event(capacity=1)
    _register(event, 1)
    waiting = _register(event, 2, "BR")
    assert waiting.status == "waitlisted"
    old_start = event.start_date
    new_start = old_start + timedelta(days=1)
    lifecycle.move(event.id, new_start, new_start + timedelta(days=2))
    messages = _messages(event.id, "agenda_update")
    assert len(messages) == 2
    for message in messages:
        assert message.calendar_method == "REQUEST"
        ics = message.calendar_ics.decode()
        assert "SEQUENCE:1" in ics and f"DTSTART;VALUE=DATE:{new_start:%Y%m%d}" in ics
        assert message.context["what_changed"], message.context
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.moved"))
    assert entry.changes["before"]["start_date"] == old_start.isoformat()


def test_cancel_tells_everyone_in_their_language_and_ends_the_waiting_list(db):
    from lanet.registration.models import Registration

    event = create_open_event(capacity=1)
    _register(event, 1)
    waiting = _register(event, 2, "BR")
    reasons = {"es": "Sin sede.", "pt": "Sem local.", "en": "No venue."}
    lifecycle.cancel(event.id, reasons)
    messages = _messages(event.id, "event_cancelled")
    assert [m.calendar_method for m in messages] == ["CANCEL", "CANCEL"]
    assert {m.context["reason"] for m in messages} == {"Sin sede."}  # both wrote in Spanish
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "cancelled"
    stored = db.session.get(Event, event.id)
    assert stored.status == "cancelled" and stored.cancellation_reason == reasons
    with pytest.raises(EventInvalid):
        lifecycle.cancel(event.id, reasons)


def test_cancel_needs_a_reason(db):
    event = create_open_event(capacity=1)
    with pytest.raises(EventInvalid) as refused:
        lifecycle.cancel(event.id, {"es": "  "})
    assert "reason_es" in refused.value.errors
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "open"


def test_series_and_completion(db):
    from lanet.core.signals import collect_completions
    from lanet.events import series

    created = series.create_series("lemkin-x", {"en": "Lemkin"}, 2)
    first = series.open_next_cycle(created.id)
    second = series.open_next_cycle(created.id)
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(EventInvalid) as refused:
        series.create_series("lemkin-x", {"en": "Again"}, 2)
    assert "code" in refused.value.errors
    assert collect_completions([first.id]) == {first.id: []}


def test_capacity_keeps_room_for_the_seats_quotas_reserve(db):
    event = create_open_event(capacity=6, quotas={"AR": 3})
    for number in range(3):
        _register(event, number)  # three seats outside the quota
    with pytest.raises(EventInvalid) as refused:
        editing.set_capacity(event.id, 5, {"AR": 3})
    assert "3" in str(refused.value.errors["capacity"])
    editing.set_capacity(event.id, 6, {"AR": 3})
