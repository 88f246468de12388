"""Calendar files: two independent parsers, daylight-saving changes, languages, iMIP updates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from lanet.agenda import service as agenda
from lanet.agenda.queries import AgendaEntry, published_entries
from lanet.calendars import build
from lanet.events import service as events


def parse_both(content: bytes) -> tuple[icalendar.Calendar, object]:
    """Both parsers must accept the file; icalendar must give back the same bytes."""
    calendar = icalendar.Calendar.from_ical(content)
    assert calendar.to_ical() == content
    other = IcsCalendarStream.calendar_from_ics(content.decode("utf-8"))
    for line in content.split(b"\r\n"):
        assert len(line) <= 75, line  # folded at 75 octets
    assert content.endswith(b"\r\n") and b"\n" not in content.replace(b"\r\n", b"")
    return calendar, other


def vevents(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return calendar.walk("VEVENT")


def add(event, day, start, end, title, room=None):
    return agenda.add_item(
        event.id,
        agenda.ItemInput(
            kind="session", day=day, start=time(*start), end=time(*end), title=title, room=room
        ),
    )


def test_warsaw_across_the_october_change(db, agenda_event):
    # Clocks go back on Sunday 25 October 2026 at 03:00 CEST.
    event = agenda_event(timezone="Europe/Warsaw", start=date(2026, 10, 23), days=5)
    add(event, date(2026, 10, 24), (10, 0), (11, 0), "Saturday, summer time")
    add(event, date(2026, 10, 26), (10, 0), (11, 0), "Monday, winter time")
    agenda.publish(event.id)
    db.session.commit()
    content = build.event_calendar(event, "en", agenda=published_entries(event.id))
    calendar, other = parse_both(content)

    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Warsaw"]
    assert calendar.get_missing_tzids() == set()
    items = {str(e["SUMMARY"]): e for e in vevents(calendar)}
    saturday = items["Saturday, summer time"].start
    monday = items["Monday, winter time"].start
    assert saturday.astimezone(UTC) == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    assert monday.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert b"DTSTART;TZID=Europe/Warsaw:20261024T100000" in content
    assert b"DTSTART;TZID=Europe/Warsaw:20261026T100000" in content

    # The second parser reads the VTIMEZONE block on its own and agrees on the instants.
    starts = {e.summary: e.dtstart for e in other.events}
    assert starts["Saturday, summer time"].astimezone(UTC) == datetime(2026, 10, 24, 8, tzinfo=UTC)
    assert starts["Monday, winter time"].astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)
    assert {e.uid for e in other.events} == {str(e["UID"]) for e in vevents(calendar)}


@pytest.mark.parametrize(
    ("start", "before", "after", "offsets"),
    [
        # Chile goes back to UTC-4 at midnight ending Saturday 4 April 2026.
        (date(2026, 4, 3), date(2026, 4, 4), date(2026, 4, 6), (-3, -4)),
        # …and forward to UTC-3 at midnight ending Saturday 5 September 2026.
        (date(2026, 9, 4), date(2026, 9, 5), date(2026, 9, 7), (-4, -3)),
    ],
)
def test_santiago_in_april_and_september(db, agenda_event, start, before, after, offsets):
    event = agenda_event(timezone="America/Santiago", start=start, days=5, country="CL")
    add(event, before, (9, 0), (10, 0), "Before the change")
    add(event, after, (9, 0), (10, 0), "After the change")
    agenda.publish(event.id)
    db.session.commit()
    calendar, other = parse_both(
        build.event_calendar(event, "es", agenda=published_entries(event.id))
    )
    items = {str(e["SUMMARY"]): e.start for e in vevents(calendar)}
    expected = {
        "Before the change": datetime.combine(before, time(9 - offsets[0])).replace(tzinfo=UTC),
        "After the change": datetime.combine(after, time(9 - offsets[1])).replace(tzinfo=UTC),
    }
    for title, instant in expected.items():
        assert items[title].astimezone(UTC) == instant
    others = {e.summary: e.dtstart.astimezone(UTC) for e in other.events}
    for title, instant in expected.items():
        assert others[title] == instant
    assert [tz.tz_name for tz in calendar.timezones] == ["America/Santiago"]


def test_only_dates_known_gives_an_all_day_entry(db, agenda_event):
    event = agenda_event(timed=False, start=date(2015, 3, 23), days=5)
    content = build.event_calendar(event, "es")
    calendar, other = parse_both(content)
    (entry,) = vevents(calendar)
    assert b"DTSTART;VALUE=DATE:20150323" in content
    assert b"DTEND;VALUE=DATE:20150328" in content  # exclusive end: the day after the last
    assert calendar.timezones == []
    (parsed,) = other.events
    assert parsed.dtstart == date(2015, 3, 23) and parsed.dtend == date(2015, 3, 28)


def test_text_is_in_the_requested_language_and_escaped(db, agenda_event):
    event = agenda_event(
        description="Genocide prevention; early warning, and\nresponse — “Nunca más”.",
        title="Seminar, part 1; Oświęcim",
    )
    event.title_translations = {}
    db.session.commit()
    texts = {}
    for language in ("es", "pt", "en"):
        calendar, other = parse_both(build.event_calendar(event, language))
        (entry,) = vevents(calendar)
        texts[language] = str(entry["CATEGORIES"].cats[0])
        assert str(entry["SUMMARY"]) == "Seminar, part 1; Oświęcim"
        assert "early warning, and\nresponse — “Nunca más”." in str(entry["DESCRIPTION"])
        assert other.events[0].summary == "Seminar, part 1; Oświęcim"
        location = str(entry["LOCATION"])
        assert location.endswith({"es": "Polonia", "pt": "Polônia", "en": "Poland"}[language])
    assert texts == {
        "es": "Seminario Raphael Lemkin",
        "pt": "Seminário Raphael Lemkin",
        "en": "Raphael Lemkin Seminar",
    }


def test_uid_is_stable_and_dtstamp_is_utc(db, agenda_event):
    event = agenda_event()
    first = build.event_calendar(event, "es")
    again = build.event_calendar(event, "es")
    assert first == again  # nothing changed: the same bytes, hence the same ETag
    (entry,) = vevents(icalendar.Calendar.from_ical(first))
    assert str(entry["UID"]) == f"event-{event.id}@127.0.0.1"
    assert entry["DTSTAMP"].dt.tzinfo is not None
    assert entry["DTSTAMP"].dt.utcoffset() == timedelta(0)
    assert b"DTSTAMP:" in first and b"Z\r\n" in first.split(b"DTSTAMP:")[1][:20]


def test_update_and_cancel_carry_the_same_uid_with_a_higher_sequence(
    db, agenda_event, agenda_registrant
):
    event = agenda_event()
    registration = agenda_registrant(event, language="pt")
    confirmation = build.registration_calendar(registration, "pt", method="REQUEST")
    add(event, date(2026, 10, 24), (10, 0), (11, 0), "Opening")
    agenda.publish(event.id)
    db.session.commit()
    events.move_event(
        event.id,
        start_date=date(2026, 10, 30),
        end_date=date(2026, 11, 3),
        starts_at=datetime(2026, 10, 30, 9, tzinfo=ZoneInfo("Europe/Warsaw")),
        ends_at=datetime(2026, 11, 3, 17, tzinfo=ZoneInfo("Europe/Warsaw")),
    )
    db.session.commit()
    events.cancel_event(event.id, reason="Venue unavailable")
    db.session.commit()

    from lanet.mail.models import OutboxMessage

    messages = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    assert [(m.template, m.calendar_method) for m in messages] == [
        ("agenda_update", "REQUEST"),
        ("agenda_update", "REQUEST"),
        ("event_cancelled", "CANCEL"),
    ]
    parts = [confirmation] + [m.calendar_ics for m in messages]
    seen = []
    for part in parts:
        calendar, _other = parse_both(part)
        (entry,) = vevents(calendar)
        seen.append((str(calendar["METHOD"]), str(entry["UID"]), int(entry["SEQUENCE"])))
        assert "ATTENDEE" in entry and "ORGANIZER" in entry
    assert [s[0] for s in seen] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert len({s[1] for s in seen}) == 1
    assert [s[2] for s in seen] == [0, 1, 2, 3]
    cancel = vevents(icalendar.Calendar.from_ical(parts[-1]))[0]
    assert str(cancel["STATUS"]) == "CANCELLED"
    moved = vevents(icalendar.Calendar.from_ical(parts[2]))[0]
    assert moved.start.astimezone(UTC) == datetime(2026, 10, 30, 8, tzinfo=UTC)


def test_moving_shifts_the_agenda_and_republishes_it(db, agenda_event):
    event = agenda_event()
    add(event, date(2026, 10, 25), (10, 0), (11, 0), "Sunday session")
    agenda.publish(event.id)
    db.session.commit()
    events.move_event(event.id, start_date=date(2026, 10, 30), end_date=date(2026, 11, 3))
    db.session.commit()
    assert event.agenda_version == 2 and event.date_precision == "day"
    (entry,) = [AgendaEntry.from_json(item) for item in _latest_items(event.id)]
    # Same wall-clock time a week later, across the change to winter time.
    assert entry.starts_at.astimezone(ZoneInfo("Europe/Warsaw")).replace(tzinfo=None) == (
        datetime(2026, 11, 1, 10, 0)
    )


def _latest_items(event_id: int) -> list[dict]:
    from lanet.agenda.queries import latest_version

    return latest_version(event_id).items


def test_move_and_cancel_refuse_bad_input(db, agenda_event):
    event = agenda_event()
    with pytest.raises(events.EventError):
        events.move_event(event.id, start_date=date(2026, 10, 30), end_date=date(2026, 10, 29))
    with pytest.raises(events.EventError):
        events.move_event(
            event.id, start_date=date(2026, 10, 30), end_date=date(2026, 10, 31), timezone="Mars/X"
        )
    db.session.rollback()
    events.cancel_event(event.id)
    db.session.commit()
    with pytest.raises(events.EventError):
        events.cancel_event(event.id)
    with pytest.raises(events.EventError):
        events.move_event(event.id, start_date=date(2026, 11, 1), end_date=date(2026, 11, 2))
    db.session.rollback()
    assert event.sequence == 1


def test_the_network_feed_names_itself_and_lists_every_event(db, agenda_event):
    warsaw = agenda_event(timezone="Europe/Warsaw")
    santiago = agenda_event(timezone="America/Santiago", country="CL", start=date(2026, 4, 1))
    undated = agenda_event(timed=False, start=date(2014, 6, 1), country="AR")
    content = build.network_feed([warsaw, santiago, undated], "pt", name="LANET; 2026, PT")
    calendar, other = parse_both(content)
    # A TEXT value (RFC 5545 3.3.11): commas and semicolons escaped.
    assert b"\r\nX-WR-CALNAME:LANET\\; 2026\\, PT\r\n" in content
    assert {tz.tz_name for tz in calendar.timezones} == {"Europe/Warsaw", "America/Santiago"}
    assert len(other.events) == 3
    assert len({str(e["UID"]) for e in vevents(calendar)}) == 3


def test_update_and_cancel_emails_render_in_the_recipient_s_language(
    db, agenda_event, agenda_registrant
):
    from lanet.mail.compose import build as build_email
    from lanet.mail.models import OutboxMessage

    event = agenda_event()
    for language in ("es", "pt", "en"):
        agenda_registrant(event, language=language)
    add(event, date(2026, 10, 24), (10, 0), (11, 0), "Opening")
    agenda.publish(event.id)
    db.session.commit()
    events.cancel_event(event.id, reason="Venue unavailable")
    db.session.commit()
    expected = {
        ("agenda_update", "es"): "Agenda actualizada",
        ("agenda_update", "pt"): "Agenda atualizada",
        ("agenda_update", "en"): "Agenda updated",
        ("event_cancelled", "es"): "Cancelado",
        ("event_cancelled", "pt"): "Cancelado",
        ("event_cancelled", "en"): "Cancelled",
    }
    messages = db.session.query(OutboxMessage).all()
    assert len(messages) == 6
    for message in messages:
        email = build_email(message, "LANET <no-reply@lanet.local>")
        assert email["Subject"].startswith(expected[(message.template, message.language)])
        calendar_parts = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
        assert calendar_parts[0].get_param("method") == message.calendar_method
        text = email.get_body(("plain",)).get_content()
        assert "{{" not in text and message.recipient_name in text
        if message.template == "agenda_update":
            assert {"es": "Agregado", "pt": "Adicionado", "en": "Added"}[message.language] in text
        else:
            assert "Venue unavailable" in text
