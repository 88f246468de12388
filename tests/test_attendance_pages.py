"""The attendance pages: check-in, import, badges, dashboard, report files, focal points."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lanet.attendance import codes
from lanet.attendance.models import Attendance, SummarySubscription
from lanet.attendance.totals import compile_totals
from lanet.extensions import db as _db
from lanet.network.models import Person


def _count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Attendance))


@pytest.fixture()
def organizer_client(client, world, make_user, login):
    login(client, make_user("organizer", event=world.e1))
    return client


@pytest.fixture()
def staff_client(client, world, make_user, login):
    login(client, make_user("staff", language="en"))
    return client


def test_check_in_page_needs_the_events_organizer(client, world, make_user, login):
    login(client, make_user("organizer", event=world.e2))
    assert client.get("/manage/events/lemkin-1-1/check-in").status_code == 403
    assert client.get("/manage/events/no-such-event/check-in").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    # (One test per identity: the test's app context keeps the signed-in user in `g`.)
    for url in ("/manage/events/lemkin-1-1/check-in", "/staff/totals", "/focal-point/totals"):
        assert client.get(url).status_code == 302


def test_scan_by_json_then_again_is_recognised(organizer_client, world):
    code = codes.check_in_code(world.registrations[("ana", "e1")])
    url = "/manage/events/lemkin-1-1/check-in/scan"
    first = organizer_client.post(url, json={"code": code, "day": "2014-06-02", "nonce": "a"})
    second = organizer_client.post(url, json={"code": code, "day": "2014-06-02", "nonce": "b"})
    replay = organizer_client.post(url, json={"code": code, "day": "2014-06-02", "nonce": "a"})
    assert first.json["status"] == "recorded"
    assert second.json["status"] == "already"
    assert replay.json["status"] == "recorded"
    assert first.json["count"] == second.json["count"] == 1
    assert _count() == 1


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"code": "nonsense", "day": "2014-06-02"},
        {"code": "LANET-1-AAAAAAAAAAAA", "day": "not a day"},
        {"code": "LANET-1-AAAAAAAAAAAA", "day": "2014-06-02"},
    ],
)
def test_bad_scans_get_a_clear_answer_not_a_500(organizer_client, world, body):
    url = "/manage/events/lemkin-1-1/check-in/scan"
    response = (
        organizer_client.post(url, data="{", content_type="application/json")
        if body is None
        else organizer_client.post(url, json=body)
    )
    assert response.status_code in (400, 422)
    assert response.json["status"] == "error" and response.json["message"]
    assert _count() == 0


def test_the_form_without_script_checks_in_and_undoes(organizer_client, world):
    code = codes.check_in_code(world.registrations[("bruno", "e1")])
    page = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in",
        data={"code": code, "day": "2014-06-03"},
        follow_redirects=True,
    )
    assert "Bruno Silva" in page.text
    attendance = _db.session.scalar(select(Attendance))
    assert attendance.day == date(2014, 6, 3)
    bad = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in", data={"code": "", "day": "2014-06-03"}
    )
    assert bad.status_code == 422
    outside = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in", data={"code": code, "day": "2015-01-01"}
    )
    assert outside.status_code == 422
    organizer_client.post(
        f"/manage/events/lemkin-1-1/check-in/{attendance.id}/undo", data={"day": "2014-06-03"}
    )
    assert _count() == 0


def test_name_search_and_manual_check_in(organizer_client, world):
    page = organizer_client.get("/manage/events/lemkin-1-1/check-in?q=silva&day=2014-06-02")
    assert "Bruno Silva" in page.text and "Ana Pérez" not in page.text
    registration = world.registrations[("bruno", "e1")]
    organizer_client.post(
        "/manage/events/lemkin-1-1/check-in/manual",
        data={"registration_id": str(registration.id), "day": "2014-06-02"},
    )
    assert _db.session.scalar(select(Attendance.method)) == "manual"
    refused = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in/manual",
        data={"registration_id": "abc", "day": "2014-06-02"},
    )
    assert refused.status_code == 302 and _count() == 1


def test_import_page_lists_bad_rows_and_writes_nothing(organizer_client, world):
    sheet = b"email,day\nana@example.org,2014-06-02\nnobody@example.org,2014-06-02\n"
    response = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in/import",
        data={"sheet": (io.BytesIO(sheet), "sheet.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "nobody@example.org" in response.text and _count() == 0
    wrong_type = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in/import",
        data={"sheet": (io.BytesIO(b"x"), "sheet.exe")},
        content_type="multipart/form-data",
    )
    assert wrong_type.status_code == 422
    good = organizer_client.post(
        "/manage/events/lemkin-1-1/check-in/import",
        data={
            "sheet": (
                io.BytesIO(sheet.splitlines()[0] + b"\n" + sheet.splitlines()[1]),
                "sheet.csv",
            )
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302 and _count() == 1


def test_badges_carry_a_qr_code_but_not_the_manage_token(organizer_client, world, client):
    page = organizer_client.get("/manage/events/lemkin-1-1/badges")
    assert page.status_code == 200
    assert page.text.count('class="name-badge-qr"') == 3  # ana, bruno, diego
    for key in [("ana", "e1"), ("bruno", "e1")]:
        assert world.registrations[key].manage_token not in page.text
    token = world.registrations[("ana", "e1")].manage_token
    own = client.get(f"/r/{token}/badge")
    assert own.status_code == 200 and "Ana Pérez" in own.text
    assert client.get("/r/not-a-token/badge").status_code == 404


def test_dashboard_report_and_files(staff_client, world):
    code = codes.check_in_code(world.registrations[("ana", "e1")])
    from lanet.attendance import service

    service.check_in_by_code(world.e1.id, code, date(2014, 6, 2))
    compile_totals()
    dashboard = staff_client.get("/staff/totals?year=2014")
    assert dashboard.status_code == 200 and "Argentina" in dashboard.text
    for chart in ("/staff/totals/countries.png?year=2014", "/staff/totals/years.png"):
        image = staff_client.get(chart)
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    page = staff_client.get("/staff/reports/2014")
    assert page.status_code == 200 and "Lemkin" in page.text
    csv_file = staff_client.get("/staff/reports/2014.csv")
    assert "Argentina" in csv_file.data.decode("utf-8-sig")
    assert csv_file.headers["Content-Type"] == "text/csv; charset=utf-8"
    xlsx = staff_client.get("/staff/reports/2014.xlsx")
    workbook = load_workbook(io.BytesIO(xlsx.data))
    assert workbook.sheetnames == ["seminars", "lemkin", "countries"]
    pdf = staff_client.get("/staff/reports/2014.pdf")
    assert pdf.data.startswith(b"%PDF")
    assert staff_client.get("/staff/reports/99999").status_code == 404
    assert staff_client.get("/staff/totals?year=abc").status_code == 200


def test_staff_subscribe_to_summaries(staff_client, world):
    staff_client.post("/staff/totals/subscriptions", data={"frequencies": ["weekly", "event_end"]})
    assert set(_db.session.scalars(select(SummarySubscription.frequency))) == {
        "weekly",
        "event_end",
    }
    staff_client.post("/staff/totals/subscriptions", data={"frequencies": ["hourly"]})
    assert _db.session.scalar(select(func.count()).select_from(SummarySubscription)) == 2
    staff_client.post("/staff/totals/subscriptions", data={})
    assert _db.session.scalar(select(func.count()).select_from(SummarySubscription)) == 0


def test_dashboard_is_for_staff_only(client, world, make_user, login):
    login(client, make_user("organizer", event=world.e1))
    assert client.get("/staff/totals").status_code == 403
    assert client.get("/staff/reports/2014.csv").status_code == 403


def test_focal_points_see_their_country_only(client, world, make_user, login):
    from lanet.attendance import service

    for who in ("ana", "bruno"):
        code = codes.check_in_code(world.registrations[(who, "e1")])
        service.check_in_by_code(world.e1.id, code, date(2014, 6, 2))
    compile_totals()
    login(client, make_user("focal_point", country="AR"))
    page = client.get("/focal-point/totals")
    assert page.status_code == 200
    assert "Argentina" in page.text and "Lemkin 1 1" in page.text
    assert client.get("/focal-point/totals?country=BR").status_code == 403


def test_the_confirmation_email_carries_the_qr_code(app, world):
    import base64

    from lanet.attendance.badges import qr_png
    from lanet.mail.compose import render

    registration = world.registrations[("ana", "e1")]
    manage_url = f"http://lanet.test/r/{registration.manage_token}"
    context = {"event_title": "Lemkin", "manage_url": manage_url, "event_dates": "June 2014"}
    rendered = render("registration_confirmed", "es", context, "Ana")
    encoded = base64.b64encode(qr_png(registration)).decode()
    assert f"data:image/png;base64,{encoded}" in rendered.html
    assert f"{manage_url}/badge" in rendered.text
    registration.status = "cancelled"
    _db.session.commit()
    assert "data:image/png" not in render("registration_confirmed", "es", context, "Ana").html


def test_the_annual_report_of_the_demo_data(app, seeded):
    """The 2014 tables on the Network's real events, against counts made here from the rows."""
    from collections import defaultdict

    from lanet.attendance.report import annual_report
    from lanet.events.models import Event
    from lanet.registration.models import Registration

    compile_totals()
    with app.test_request_context("/?lang=en"):
        seminars, lemkin, countries = annual_report(2014, "en")
    events = _db.session.scalars(select(Event)).all()
    held_2014 = [e for e in events if e.start_date.year == 2014 and e.status == "held"]
    assert sum(1 for row in seminars.rows if row[0] == "Carried out") == len(held_2014)
    assert len(lemkin.rows) == sum(1 for e in held_2014 if e.kind == "lemkin_seminar")

    people_by_country: dict[str, set[int]] = defaultdict(set)
    rows = _db.session.execute(
        select(Registration.person_id, Registration.event_id).join(
            Attendance, Attendance.registration_id == Registration.id
        )
    ).all()
    year_of = {e.id: e.start_date.year for e in events}
    everyone = set()
    for person_id, event_id in rows:
        if year_of[event_id] == 2014:
            person = _db.session.get(Person, person_id)
            people_by_country[person.country_code or ""].add(person_id)
            everyone.add(person_id)
    assert countries.footer[3] == len(everyone) > 0
    assert sum(row[3] for row in countries.rows) == sum(len(s) for s in people_by_country.values())


def test_report_pdf_prints_polish_spanish_and_portuguese_names(staff_client, world):
    from pypdf import PdfReader

    world.e1.city = "Oświęcim"
    world.e2.city = "São Paulo"
    _db.session.commit()
    compile_totals()
    pdf = staff_client.get("/staff/reports/2014.pdf?lang=es")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Oświęcim" in text and "São Paulo" in text and "Pérez" not in text
    assert "Participantes" in text
    # The font travels inside the file: a reader without DejaVu installed prints the same.
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert {"/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold"} <= fonts, fonts


def _check_in(world, who: str, event: str, day: date) -> None:
    from lanet.attendance import service

    registration = world.registrations[(who, event)]
    event_id = registration.event_id
    service.check_in_by_code(event_id, codes.check_in_code(registration), day)


def test_one_definition_of_participants_chart_agrees_with_table(staff_client, world, monkeypatch):
    """Issue 15, item 8: Ana is a participant at e1 and an instructor at e2 (same year): she
    counts once, as an instructor, in the table and in the chart's bars alike."""
    from lanet.attendance import charts
    from lanet.attendance.models import TotalDimension
    from lanet.attendance.queries import totals_by

    world.registrations[("ana", "e2")].role = "instructor"
    _db.session.commit()
    _check_in(world, "ana", "e1", date(2014, 6, 2))
    _check_in(world, "ana", "e2", date(2014, 11, 10))
    _check_in(world, "carla", "e2", date(2014, 11, 10))
    compile_totals()
    argentina = {t.key: t for t in totals_by(TotalDimension.country, 2014)}["AR"]
    assert (argentina.participants, argentina.instructors, argentina.people) == (1, 1, 2)
    for dimension in TotalDimension:
        for row in totals_by(dimension, 2014):
            assert row.participants + row.instructors <= row.people, (dimension, row)

    drawn = {}

    def spy(labels, participants, instructors, **kwargs):
        drawn.update(zip(labels, zip(participants, instructors, strict=True), strict=True))
        return b"\x89PNG"

    monkeypatch.setattr(charts, "bar_by_country", spy)
    assert staff_client.get("/staff/totals/countries.png?year=2014&lang=en").status_code == 200
    assert drawn["Argentina"] == (1, 1)  # 2 in the bar, 2 people in the table
    page = staff_client.get("/staff/totals?year=2014&lang=en").text
    assert "counts once, as an instructor" in page


def test_reports_compile_missing_totals_and_say_when(staff_client, world):
    """Issue 15, item 13: no worker has compiled the totals; the report and the dashboard
    compile them on demand, so participants agree with the live count of countries."""
    from lanet.attendance.models import AttendanceTotal

    _db.session.execute(AttendanceTotal.__table__.delete())
    _db.session.commit()
    _check_in(world, "ana", "e1", date(2014, 6, 2))
    _check_in(world, "bruno", "e1", date(2014, 6, 2))
    _db.session.execute(AttendanceTotal.__table__.delete())  # the worker never ran
    _db.session.commit()
    page = staff_client.get("/staff/reports/2014?lang=en").text
    assert "Totals compiled at" in page
    lemkin = page.split("Lemkin Seminars (2014)")[1].split("</table>")[0]
    assert '<td class="num">2</td>' in lemkin  # 2 participants, 2 countries, on one row
    assert _db.session.scalar(select(func.count()).select_from(AttendanceTotal)) > 0

    # A later check-in makes them stale: the dashboard compiles again before showing them.
    _check_in(world, "diego", "e1", date(2014, 6, 3))
    page = staff_client.get("/staff/totals?year=2014&lang=en").text
    assert "<dt>People</dt><dd>3</dd>" in page
    assert "Totals compiled at" in page


def test_staff_send_a_summary_for_an_event_or_a_period(staff_client, world, make_user):
    """Issue 15, item 12: from the totals page, for an event or a span of days, with the
    chart in the email's body; a bad period is refused on the page and nothing is queued."""
    from lanet.mail.compose import build
    from lanet.mail.models import OutboxMessage

    _check_in(world, "ana", "e1", date(2014, 6, 2))
    subscriber = make_user("staff", language="pt")
    from lanet.attendance import summaries

    summaries.set_subscriptions(subscriber.id, {"weekly"})

    bad = staff_client.post(
        "/staff/totals/send?lang=en",
        data={"start": "2014-06-30", "end": "2014-06-01", "send_period": "1"},
    )
    assert bad.status_code == 422 and "The last day comes before the first." in bad.text
    unknown = staff_client.post(
        "/staff/totals/send?lang=en", data={"event": "nope", "send_event": "1"}
    )
    assert unknown.status_code == 422 and "Choose an event from the list." in unknown.text
    assert _db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    sent = staff_client.post(
        "/staff/totals/send?lang=en", data={"event": world.e1.slug, "send_event": "1"}
    )
    assert sent.status_code == 302
    [message] = _db.session.scalars(select(OutboxMessage)).all()
    email = build(message, "lanet@example.org")
    related = [p for p in email.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    html = email.get_body(("html",)).get_content()
    cid = related[0].get_payload()[1]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html

    staff_client.post(
        "/staff/totals/send?lang=en",
        data={
            "start": "2014-06-01",
            "end": "2014-06-30",
            "send_period": "1",
            "to_subscribers": "y",
        },
    )
    period = _db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.context["frequency"].as_string() == "period")
    ).all()
    assert {m.recipient_email for m in period} == {
        subscriber.email,
        _db.session.scalars(select(OutboxMessage.recipient_email)).first(),
    }
    pt = next(m for m in period if m.recipient_email == subscriber.email)
    subject = build(pt, "x@example.org")["Subject"]
    assert subject == "Resumo do LANET: Presença de 1 de junho de 2014 a 30 de junho de 2014"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The summary is on its way to 1 recipient."),
        ("es", "El resumen se está enviando a 1 destinatario."),
        ("pt", "O resumo está sendo enviado a 1 destinatário."),
    ],
)
def test_a_summary_sent_to_one_recipient_says_so_in_the_singular(
    staff_client, world, language, said
):
    sent = staff_client.post(
        f"/staff/totals/send?lang={language}",
        data={"event": world.e1.slug, "send_event": "1"},
        follow_redirects=True,
    )
    assert sent.status_code == 200
    assert said in sent.text  # was "… 1 recipients." in every language
