"""The organizers' agenda editor and the public agenda page."""

from __future__ import annotations

import io
from datetime import date, time

from sqlalchemy import func, select

from lanet.agenda import service
from lanet.agenda.models import AgendaItem, AgendaVersion


def form(**values):
    data = {
        "kind": "session",
        "day": "2026-10-24",
        "start": "10:00",
        "end": "11:00",
        "title": "Opening",
        "room": "Hall A",
        "speakers": "Tibi Galis (AIPR)",
        "description": "",
    }
    data.update(values)
    return data


def items(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AgendaItem))


def test_the_editor_is_for_the_event_s_organizers(
    client, db, fresh_locale, agenda_event, make_user, login
):
    event = agenda_event()
    other_event = agenda_event()
    url = f"/manage/events/{event.slug}/agenda"
    anonymous = client.get(url)
    assert anonymous.status_code in (302, 401)
    login(client, make_user("organizer", event=other_event))
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/items", data=form()).status_code == 403
    assert client.post(f"{url}/publish").status_code == 403
    login(client, make_user("organizer", event=event, language="en"))
    editor = client.get(f"{url}?lang=en")
    assert editor.status_code == 200
    assert "Name (Institution) &lt;email&gt;" in editor.get_data(as_text=True)
    assert client.get("/manage/events/no-such-event/agenda").status_code == 404
    assert items(db) == 0


def test_organizer_adds_edits_deletes_and_publishes(
    client, db, fresh_locale, agenda_event, make_user, login
):
    event = agenda_event()
    login(client, make_user("organizer", event=event, language="en"))
    url = f"/manage/events/{event.slug}/agenda"
    response = client.post(f"{url}/items", data=form())
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Opening" in page and "Tibi Galis (AIPR)" in page
    # The draft is not public.
    assert "Opening" not in client.get(f"/events/{event.slug}/agenda").get_data(as_text=True)

    item = db.session.scalar(select(AgendaItem))
    edit = client.get(f"{url}/items/{item.id}")
    assert 'value="10:00"' in edit.get_data(as_text=True)
    assert (
        client.post(f"{url}/items/{item.id}", data=form(title="Opening session")).status_code == 302
    )
    client.post(
        f"{url}/items",
        data=form(title="Coffee", kind="break", room="", start="11:00", end="11:15", speakers=""),
    )
    assert client.post(f"{url}/publish").status_code == 302
    public = client.get(f"/events/{event.slug}/agenda?lang=en").get_data(as_text=True)
    assert "Opening session" in public and "Coffee" in public and "Version 1" in public

    coffee = db.session.scalar(select(AgendaItem).where(AgendaItem.title == "Coffee"))
    assert client.post(f"{url}/items/{coffee.id}/delete").status_code == 302
    assert "Removed: Coffee" in client.get(f"{url}?lang=en").get_data(as_text=True)
    client.post(f"{url}/publish")
    public = client.get(f"/events/{event.slug}/agenda?lang=en").get_data(as_text=True)
    assert "Coffee" not in public.split("Changes in version 2")[0]
    assert db.session.scalar(select(func.max(AgendaVersion.version))) == 2


def test_bad_form_input_re_renders_with_errors_and_changes_nothing(
    client, db, fresh_locale, agenda_event, make_user, login
):
    event = agenda_event()
    login(client, make_user("organizer", event=event, language="en"))
    url = f"/manage/events/{event.slug}/agenda"
    client.post(f"{url}/items", data=form())
    cases = {
        "outside": (form(day="2026-11-30"), "within the event"),
        "backwards": (form(start="12:00", end="11:00"), "must not be before"),
        "clash": (form(start="10:30", end="11:30", title="Other"), "already booked"),
        "no title": (form(title=""), "A title is required"),
        "bad time": (form(start="25:99"), "Not a valid time value"),
        "bad day": (form(day="yesterday"), "Not a valid date value"),
        "bad kind": (form(kind="party"), "Not a valid choice"),
    }
    for name, (data, message) in cases.items():
        response = client.post(f"{url}/items?lang=en", data=data)
        assert response.status_code == 422, name
        if message:
            assert message in response.get_data(as_text=True), name
    assert items(db) == 1


def test_clocks_skipping_in_spring_is_refused_in_the_form(
    client, db, fresh_locale, agenda_event, make_user, login
):
    event = agenda_event(start=date(2026, 3, 27), days=3)
    login(client, make_user("organizer", event=event, language="en"))
    response = client.post(
        f"/manage/events/{event.slug}/agenda/items?lang=en",
        data=form(day="2026-03-29", start="02:30", end="03:30", room=""),
    )
    assert response.status_code == 422
    assert "does not exist" in response.get_data(as_text=True)
    assert items(db) == 0


def test_csv_import_through_the_page(client, db, fresh_locale, agenda_event, make_user, login):
    event = agenda_event()
    login(client, make_user("organizer", event=event, language="en"))
    url = f"/manage/events/{event.slug}/agenda/import?lang=en"
    good = "date,start,end,kind,title,room\n2026-10-24,09:00,10:00,ceremony,Opening,Hall A\n"
    response = client.post(
        url,
        data={"file": (io.BytesIO(good.encode()), "agenda.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    bad = "date,start,end,title\n2026-10-24,09:00,10:00,Fine\n2026-10-40,09:00,10:00,Bad\n"
    response = client.post(
        url,
        data={"file": (io.BytesIO(bad.encode()), "agenda.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Row 3: Date must be written YYYY-MM-DD." in page
    assert "nothing was changed" in page
    missing = client.post(url, data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose a CSV file" in missing.get_data(as_text=True)
    assert items(db) == 1


def test_public_agenda_by_day_with_the_viewer_s_zone(client, db, fresh_locale, agenda_event):
    event = agenda_event(timezone="Europe/Warsaw")
    for day, title in ((date(2026, 10, 24), "Saturday"), (date(2026, 10, 26), "Monday")):
        service.add_item(event.id, service.ItemInput("session", day, time(10), time(11), title))
    service.publish(event.id)
    db.session.commit()
    url = f"/events/{event.slug}/agenda"
    page = client.get(f"{url}?lang=en&tz=America/Santiago").get_data(as_text=True)
    assert "Saturday, October 24, 2026" in page and "Monday, October 26, 2026" in page
    # 10:00 in Warsaw is 05:00 in Santiago before Poland's change, 06:00 after it.
    assert "10:00</time>–<time" in page
    assert "05:00–06:00" in page and "06:00–07:00" in page
    assert "Your time (America/Santiago)" in page
    spanish = client.get(f"{url}?lang=es").get_data(as_text=True)
    assert "sábado, 24 de octubre de 2026" in spanish and "Your time" not in spanish
    # A zone with the same offsets, or one that does not exist, adds no column.
    for tz in ("Europe/Berlin", "Not/AZone", "x" * 200):
        assert "viewer-time" not in client.get(f"{url}?tz={tz}").get_data(as_text=True)
    assert 'src="/static/js/agenda-tz.js"' in page
    assert client.get("/events/none/agenda").status_code == 404


def test_public_agenda_before_publication(client, db, fresh_locale, agenda_event):
    event = agenda_event()
    page = client.get(f"/events/{event.slug}/agenda?lang=en").get_data(as_text=True)
    assert "has not been published yet" in page
