"""Attendance summaries by email: through the outbox to a real SMTP server, in each recipient's
language, with the chart and the table attached; each summary sent once."""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lanet.attendance import codes, service, summaries
from lanet.attendance.models import AttendanceTotal, SummaryDispatch
from lanet.mail import service as mail_service
from lanet.mail.models import OutboxMessage
from tests.fixtures.mail import sink_env
from tests.processes import start_worker
from workers import attendance as tasks


def _attend(world) -> None:
    for who, day in (("ana", 2), ("ana", 3), ("bruno", 2), ("diego", 2)):
        registration = world.registrations[(who, "e1")]
        service.check_in_by_code(world.e1.id, codes.check_in_code(registration), date(2014, 6, day))


def _subscribe(make_user, language: str, *frequencies: str):
    user = make_user("staff", language=language, first_name=f"Staff-{language}")
    summaries.set_subscriptions(user.id, set(frequencies))
    return user


def _year_total(db, year: int) -> int | None:
    db.session.rollback()  # a fresh snapshot: the worker commits in another process
    return db.session.scalar(
        select(AttendanceTotal.people).where(
            AttendanceTotal.dimension == "year", AttendanceTotal.year == year
        )
    )


def _attachments(message) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()
    }


def _inline_images(message) -> dict[str, bytes]:
    """Content-ID → bytes of the images inside the multipart/related around the body."""
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    assert related[0].get_payload()[0].get_content_type() == "multipart/alternative"
    return {
        part["Content-ID"].strip("<>"): part.get_payload(decode=True)
        for part in related[0].get_payload()[1:]
        if part.get_content_type() == "image/png"
    }


def test_event_summary_arrives_in_each_recipients_language_with_chart_and_files(
    app, world, make_user, mail_to_sink
):
    _attend(world)
    spanish = _subscribe(make_user, "es", "event_end")
    portuguese = _subscribe(make_user, "pt", "event_end", "weekly")
    _subscribe(make_user, "en", "weekly")  # not subscribed to event summaries
    organizer = make_user("organizer", event=world.e1)
    summaries.set_subscriptions(organizer.id, {"event_end"})  # not staff: gets nothing

    assert tasks.send_event_summaries("2014-06-08") == 2
    assert tasks.send_event_summaries("2014-06-09") == 0  # once per event
    mail_service.deliver_due()
    received = {m["To"].addresses[0].addr_spec: m for m in mail_to_sink.wait_for(2)}
    assert set(received) == {spanish.email, portuguese.email}

    es, pt = received[spanish.email], received[portuguese.email]
    assert es["Subject"] == "Resumen de LANET: Asistencia a Lemkin 1 1"
    assert pt["Subject"] == "Resumo do LANET: Presença em Lemkin 1 1"
    es_html = es.get_body(("html",)).get_content()
    assert "Personas-día" in es_html and "Argentina" in es_html
    assert "Pessoas-dia" in pt.get_body(("html",)).get_content()
    assert "Pessoas-dia" in pt.get_body(("plain",)).get_content()

    for message, person_days in ((es, "Personas-día"), (pt, "Pessoas-dia")):
        files = _attachments(message)
        stem = f"lanet-attendance-event-{world.e1.id}"
        assert set(files) == {f"{stem}.csv", f"{stem}.xlsx"}
        # The chart is in the body: multipart/related beside the HTML, which shows it by cid.
        chart = _inline_images(message)[f"{stem}-countries.png@lanet"]
        assert chart.startswith(b"\x89PNG")
        html = message.get_body(("html",)).get_content()
        assert f'src="cid:{stem}-countries.png@lanet"' in html
        sheet = load_workbook(io.BytesIO(files[f"{stem}.xlsx"])).active
        assert sheet.cell(2, 5).value == person_days
        rows = {sheet.cell(r, 1).value: sheet.cell(r, 5).value for r in range(3, sheet.max_row)}
        assert rows == {"Argentina": 2, "Brasil": 2}
        assert person_days in files[f"{stem}.csv"].decode("utf-8-sig")


def test_weekly_and_year_end_summaries_go_once(app, world, make_user, db):
    _attend(world)
    _subscribe(make_user, "en", "weekly", "year_end")
    assert tasks.send_weekly_summary("2014-06-09") == 1
    assert tasks.send_weekly_summary("2014-06-10") == 0  # same week
    assert tasks.send_year_summary(2014) == 1
    assert tasks.send_year_summary(2014) == 0
    keys = set(db.session.scalars(select(SummaryDispatch.key)))
    assert keys == {"week:2014-W23", "year:2014"}
    year_end = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.context["frequency"].as_string() == "year_end")
    )
    xlsx = next(a for a in year_end.attachments if a.filename.endswith(".xlsx"))
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["seminars", "lemkin", "countries"]
    assert {a.filename.rsplit("-", 1)[-1] for a in year_end.attachments} == {
        "countries.png",
        "years.png",
        "2014.csv",
        "2014.xlsx",
    }


def test_no_subscriber_sends_nothing_but_marks_the_summary(app, world, db):
    assert tasks.send_event_summaries("2014-06-08") == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.services
@pytest.mark.slow
def test_a_real_worker_sends_the_summary_through_the_outbox(
    app, db, world, make_user, service_env, smtp_sink, tmp_path
):
    """The check-ins ask the worker to compile the totals; then the "reports" worker queues
    the summary and the "mail" worker delivers it to SMTP."""
    _attend(world)
    user = _subscribe(make_user, "pt", "year_end")
    assert db.session.scalar(select(func.count()).select_from(AttendanceTotal)) == 0
    worker = start_worker(sink_env(service_env, smtp_sink), tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while not _year_total(db, 2014) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _year_total(db, 2014) == 3, worker.output()[-2000:]
        app.extensions["celery"].send_task(
            "lanet.attendance.send_year_summary", args=[2014], queue="reports"
        )
        [message] = smtp_sink.wait_for(1, timeout=60)
    finally:
        worker.stop()
    assert message["To"].addresses[0].addr_spec == user.email
    assert message["Subject"] == "Resumo do LANET: Presença em 2014"
    assert len(list(message.iter_attachments())) == 2  # CSV and XLSX
    assert len(_inline_images(message)) == 2  # the two charts, in the body
