"""Agenda editing, CSV import and publishing: the service and the organizer pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import icalendar
import pytest
from sqlalchemy import func, select

from lanet.agenda import service
from lanet.agenda.models import AgendaItem, AgendaVersion
from lanet.mail.models import OutboxMessage

WARSAW_DAY = date(2026, 10, 24)


def item(day=WARSAW_DAY, start=(10, 0), end=(11, 0), title="Opening", room="Hall A", **kw):
    return service.ItemInput(
        kind=kw.pop("kind", "session"),
        day=day,
        start=time(*start),
        end=time(*end),
        title=title,
        room=room,
        **kw,
    )


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the draft -----------------------------------------------------------------------------


def test_item_times_are_stored_in_utc_from_the_event_zone(db, agenda_event):
    event = agenda_event(timezone="Europe/Warsaw")
    saved = service.add_item(event.id, item(start=(10, 0), end=(11, 30)))
    db.session.commit()
    # 24 October 2026 is still summer time in Poland (UTC+2).
    assert saved.starts_at == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    assert saved.ends_at == datetime(2026, 10, 24, 9, 30, tzinfo=UTC)
    # After the change on the 25th, the same wall-clock time is an hour later in UTC.
    later = service.add_item(event.id, item(day=date(2026, 10, 26), room=None))
    assert later.starts_at == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (item(day=date(2026, 10, 22)), "day"),
        (item(day=date(2026, 10, 28)), "day"),
        (item(start=(11, 0), end=(10, 0)), "end"),
        (item(title="   "), "title"),
        (item(kind="party"), "kind"),
    ],
)
def test_bad_items_are_refused_and_change_nothing(db, agenda_event, data, field):
    event = agenda_event()
    with pytest.raises(service.AgendaError) as refused:
        service.add_item(event.id, data)
    assert refused.value.field == field
    db.session.rollback()
    assert count(db, AgendaItem) == 0


def test_a_room_cannot_be_double_booked_but_may_be_used_back_to_back(db, agenda_event):
    event = agenda_event()
    service.add_item(event.id, item(start=(10, 0), end=(11, 0), room="Hall A"))
    with pytest.raises(service.AgendaError) as refused:
        service.add_item(event.id, item(start=(10, 30), end=(12, 0), room=" hall a "))
    assert refused.value.field == "room"
    assert "Opening" in refused.value.message
    service.add_item(event.id, item(start=(11, 0), end=(12, 0), room="Hall A", title="Next"))
    service.add_item(event.id, item(start=(10, 30), end=(12, 0), room="Hall B", title="Other"))
    db.session.commit()
    assert count(db, AgendaItem) == 3


def test_editing_an_item_does_not_conflict_with_itself(db, agenda_event):
    event = agenda_event()
    first = service.add_item(event.id, item())
    edited = service.edit_item(first.id, item(start=(10, 15), end=(11, 15), title="Opening!"))
    db.session.commit()
    assert edited.title == "Opening!"


def test_a_time_the_clocks_skip_is_refused(db, agenda_event):
    event = agenda_event(timezone="Europe/Warsaw", start=date(2026, 3, 27), days=3)
    with pytest.raises(service.AgendaError) as refused:
        service.add_item(event.id, item(day=date(2026, 3, 29), start=(2, 30), end=(4, 0)))
    assert refused.value.field == "start"


def test_speakers_are_people_with_their_affiliation(db, agenda_event):
    event = agenda_event()
    speakers = service.parse_speakers(
        "Tibi Galis (AIPR) <tgalis@example.org>\nAdama Dieng (OSAPG)\nJuan Méndez"
    )
    saved = service.add_item(event.id, item(speakers=speakers))
    db.session.commit()
    names = [(s.person.full_name, s.affiliation) for s in saved.speakers]
    assert names == [("Tibi Galis", "AIPR"), ("Adama Dieng", "OSAPG"), ("Juan Méndez", None)]
    assert saved.speakers[0].person.email == "tgalis@example.org"
    # The same speaker named again is the same person.
    again = service.add_item(
        event.id, item(start=(12, 0), end=(13, 0), speakers=service.parse_speakers("Adama Dieng"))
    )
    assert again.speakers[0].person_id == saved.speakers[1].person_id


# --- CSV import ----------------------------------------------------------------------------

GOOD_CSV = """date,start,end,kind,title,room,speakers,description
2026-10-24,09:00,10:00,ceremony,Opening ceremony,Hall A,Tibi Galis (AIPR),Welcome
2026-10-24,10:00,12:30,module,"Module 1: prevention, early warning",Hall A,A. Dieng (OSAPG); J. Méndez,
2026-10-25,09:00,13:00,visit,Visit to the Memorial,,,"Bring ID; wear good shoes"
"""


def test_csv_import_adds_every_row(db, agenda_event):
    event = agenda_event()
    created = service.import_csv(event.id, GOOD_CSV.encode())
    db.session.commit()
    assert [i.title for i in created] == [
        "Opening ceremony",
        "Module 1: prevention, early warning",
        "Visit to the Memorial",
    ]
    assert len(created[1].speakers) == 2
    assert created[2].kind == "visit"


def test_csv_import_is_all_or_nothing_with_row_numbers(db, agenda_event):
    event = agenda_event()
    service.add_item(event.id, item(start=(15, 0), end=(16, 0), title="Existing"))
    db.session.commit()
    bad = (
        "date,start,end,kind,title,room\n"
        "2026-10-24,09:00,10:00,session,Fine,Hall A\n"
        "2026-13-01,09:00,10:00,session,Bad date,\n"
        "2026-10-24,9h,10:00,session,Bad time,\n"
        "2026-10-24,11:00,10:00,session,Backwards,\n"
        "2026-10-24,09:30,10:30,session,Clash,hall a\n"
        "2026-11-30,09:00,10:00,session,Outside,\n"
        "2026-10-24,09:00,10:00,banquet,Unknown kind,\n"
    )
    with pytest.raises(service.AgendaImportError) as refused:
        service.import_csv(event.id, bad.encode(), replace=True)
    db.session.rollback()
    rows = dict(refused.value.rows)
    assert sorted(rows) == [3, 4, 8]  # parse errors are reported before any row is checked
    assert count(db, AgendaItem) == 1

    only_checks = "\n".join(line for i, line in enumerate(bad.splitlines()) if i not in (2, 3, 7))
    with pytest.raises(service.AgendaImportError) as refused:
        service.import_csv(event.id, only_checks.encode(), replace=True)
    db.session.rollback()
    assert sorted(dict(refused.value.rows)) == [3, 4, 5]
    assert "Hall A" in dict(refused.value.rows)[4]
    assert [i.title for i in db.session.scalars(select(AgendaItem))] == ["Existing"]


@pytest.mark.parametrize(
    "content",
    [b"", b"title,room\nX,Y\n", b"\xff\xfe\x00bad", b"date,start,end,title\n"],
)
def test_unusable_files_are_refused(db, agenda_event, content):
    event = agenda_event()
    with pytest.raises(service.AgendaImportError):
        service.import_csv(event.id, content)


# --- publishing ----------------------------------------------------------------------------


def test_publishing_versions_the_draft_with_a_change_list(db, agenda_event):
    event = agenda_event()
    opening = service.add_item(event.id, item())
    lunch = service.add_item(event.id, item(start=(12, 0), end=(13, 0), title="Lunch", room=None))
    db.session.commit()
    first = service.publish(event.id)
    db.session.commit()
    assert (first.version, event.agenda_version, event.sequence) == (1, 1, 1)
    assert {c["type"] for c in first.changes} == {"added"}

    service.edit_item(opening.id, item(start=(10, 30), end=(11, 30), title="Opening"))
    service.delete_item(lunch.id)
    service.add_item(event.id, item(start=(14, 0), end=(15, 0), title="Panel", room=None))
    db.session.commit()
    second = service.publish(event.id)
    db.session.commit()
    assert second.version == 2 and event.sequence == 2
    kinds = {(c["type"], c["title"]) for c in second.changes}
    assert kinds == {("changed", "Opening"), ("removed", "Lunch"), ("added", "Panel")}
    changed = next(c for c in second.changes if c["type"] == "changed")
    assert changed["fields"] == ["starts_at", "ends_at"]
    # The first version is kept as it was.
    assert [i["title"] for i in db.session.get(AgendaVersion, first.id).items] == [
        "Opening",
        "Lunch",
    ]


def test_publishing_an_unchanged_draft_is_refused(db, agenda_event):
    event = agenda_event()
    service.add_item(event.id, item())
    service.publish(event.id)
    db.session.commit()
    with pytest.raises(service.NothingToPublish):
        service.publish(event.id)
    db.session.rollback()
    assert event.sequence == 1
    assert count(db, AgendaVersion) == 1


def test_publishing_sends_confirmed_registrants_a_request_in_their_language(
    db, agenda_event, agenda_registrant
):
    event = agenda_event()
    pt = agenda_registrant(event, language="pt")
    en = agenda_registrant(event, language="en")
    agenda_registrant(event, language="es", status="waitlisted")
    service.add_item(event.id, item())
    service.publish(event.id)
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.recipient_email, m.language) for m in messages] == [
        (pt.person.email, "pt"),
        (en.person.email, "en"),
    ]
    for message in messages:
        assert message.template == "agenda_update"
        assert message.calendar_method == "REQUEST"
        calendar = icalendar.Calendar.from_ical(message.calendar_ics)
        assert calendar["METHOD"] == "REQUEST"
        (entry,) = calendar.walk("VEVENT")
        assert entry["SEQUENCE"] == 1
        assert str(entry["UID"]) == f"event-{event.id}@127.0.0.1"
    summaries = [
        str(icalendar.Calendar.from_ical(m.calendar_ics).walk("VEVENT")[0]["SUMMARY"])
        for m in messages
    ]
    assert summaries[0].startswith("Seminário")
    assert summaries[1].startswith("Raphael Lemkin Seminar")


def test_a_failed_publication_leaves_no_message(db, agenda_event, agenda_registrant):
    event = agenda_event()
    agenda_registrant(event)
    with pytest.raises(service.NothingToPublish):
        service.publish(event.id)  # empty draft, nothing published before: no version 1 of nothing
    db.session.rollback()
    assert count(db, OutboxMessage) == 0
