"""Attendance summaries by email to subscribed staff: after each event, weekly, at year end.

Each summary is written once (a SummaryDispatch row per event, week or year, unique in the
database) and queued through the outbox in each recipient's language, with a chart and the
table as CSV and XLSX attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, distinct, func, literal_column, select
from sqlalchemy.exc import IntegrityError

from lanet.accounts.models import User
from lanet.accounts.permissions import is_staff
from lanet.attendance import report
from lanet.attendance.models import (
    Attendance,
    SummaryDispatch,
    SummaryFrequency,
    SummarySubscription,
    TotalDimension,
)
from lanet.attendance.queries import total, totals_by, years
from lanet.attendance.totals import INSTRUCTOR_ROLES, PARTICIPANT_ROLES
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.mail.service import Attachment, queue_message
from lanet.network.models import Country, Person
from lanet.registration.models import Registration

TEMPLATE = "attendance_summary"
# An event's summary goes out during this many days after it ends (beat may have been down).
EVENT_GRACE_DAYS = 7
PNG = "image/png"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class CountryRow:
    code: str
    participants: int
    instructors: int
    people: int
    person_days: int


@dataclass
class Summary:
    frequency: str
    key: str
    year: int
    rows: list[CountryRow]
    overall: CountryRow
    event: Event | None = None
    week: tuple[date, date] | None = None
    check_ins_in_week: int | None = None


# --- what a summary counts -------------------------------------------------------------------


def _event_rows(event_id: int) -> list[CountryRow]:
    """One event's attendees by country, grouped in the database."""
    # One expression object in SELECT and GROUP BY: PostgreSQL must see them as the same.
    country = func.coalesce(Person.country_code, literal_column("''"))
    participant = func.count(
        distinct(case((Registration.role.in_(PARTICIPANT_ROLES), Registration.person_id)))
    )
    instructor = func.count(
        distinct(case((Registration.role.in_(INSTRUCTOR_ROLES), Registration.person_id)))
    )
    rows = db.session.execute(
        select(
            country,
            participant,
            instructor,
            func.count(distinct(Registration.person_id)),
            func.count(Attendance.id),
        )
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id == event_id)
        .group_by(country)
    ).all()
    return sorted((CountryRow(*row) for row in rows), key=lambda r: (-r.people, r.code))


def _stored_rows(year: int) -> list[CountryRow]:
    rows = [
        CountryRow(t.key, t.participants, t.instructors, t.people, t.person_days)
        for t in totals_by(TotalDimension.country, year)
    ]
    return sorted(rows, key=lambda r: (-r.people, r.code))


def _overall(dimension: str, year: int, key: str) -> CountryRow:
    found = total(dimension, year, key)
    if found is None:
        return CountryRow("", 0, 0, 0, 0)
    return CountryRow("", found.participants, found.instructors, found.people, found.person_days)


def event_summary(event: Event) -> Summary:
    rows = _event_rows(event.id)
    overall = _overall(TotalDimension.event, event.start_date.year, str(event.id))
    return Summary(
        SummaryFrequency.event_end,
        f"event:{event.id}",
        event.start_date.year,
        rows,
        overall,
        event=event,
    )


def weekly_summary(today: date) -> Summary:
    """The year so far, and the check-ins of the seven days before `today`."""
    start, end = today - timedelta(days=7), today - timedelta(days=1)
    iso = start.isocalendar()
    in_week = db.session.scalar(
        select(func.count(Attendance.id)).where(Attendance.day.between(start, end))
    )
    return Summary(
        SummaryFrequency.weekly,
        f"week:{iso.year}-W{iso.week:02d}",
        end.year,
        _stored_rows(end.year),
        _overall(TotalDimension.year, end.year, str(end.year)),
        week=(start, end),
        check_ins_in_week=in_week,
    )


def year_summary(year: int) -> Summary:
    return Summary(
        SummaryFrequency.year_end,
        f"year:{year}",
        year,
        _stored_rows(year),
        _overall(TotalDimension.year, year, str(year)),
    )


# --- one email per recipient -----------------------------------------------------------------


def _country_names() -> dict[str, dict[str, str]]:
    return {
        c.code: {"es": c.name_es, "pt": c.name_pt, "en": c.name_en}
        for c in db.session.scalars(select(Country))
    }


def _context(summary: Summary, names: dict[str, dict[str, str]]) -> dict:
    """JSON only: the worker renders it later in the recipient's language."""
    event = summary.event
    return {
        "frequency": summary.frequency,
        "year": summary.year,
        "event_title": event.title if event else None,
        "event_titles": dict(event.title_translations or {}) if event else {},
        "event_dates": [event.start_date.isoformat(), event.end_date.isoformat()]
        if event
        else None,
        "week": [d.isoformat() for d in summary.week] if summary.week else None,
        "check_ins_in_week": summary.check_ins_in_week,
        "rows": [
            {
                "code": row.code,
                "names": names.get(row.code, {}),
                "participants": row.participants,
                "instructors": row.instructors,
                "people": row.people,
                "person_days": row.person_days,
            }
            for row in summary.rows
        ],
        "overall": {
            "participants": summary.overall.participants,
            "instructors": summary.overall.instructors,
            "people": summary.overall.people,
            "person_days": summary.overall.person_days,
        },
        "dashboard_url": current_app.config["BASE_URL"] + "/staff/totals",
    }


def _country_table(summary: Summary, language: str, names: dict) -> report.ReportTable:
    table = report.ReportTable(
        key="countries",
        title=_("Participants by country"),
        columns=[_("Country"), _("Participants"), _("Instructors"), _("People"), _("Person-days")],
    )
    for row in summary.rows:
        label = names.get(row.code, {}).get(language) or row.code or _("Country not given")
        table.rows.append([label, row.participants, row.instructors, row.people, row.person_days])
    o = summary.overall
    table.footer = [
        _("Total (each person once)"),
        o.participants,
        o.instructors,
        o.people,
        o.person_days,
    ]
    return table


def _attachments(summary: Summary, language: str, names: dict) -> list[Attachment]:
    """Built inside force_locale(language): chart titles and column names in that language."""
    from lanet.attendance import charts  # matplotlib loads only in the process that draws

    table = _country_table(summary, language, names)
    stem = f"lanet-attendance-{summary.key.replace(':', '-')}"
    bar = charts.bar_by_country(
        [row[0] for row in table.rows],
        [r.participants for r in summary.rows],
        [r.instructors for r in summary.rows],
        title=_("Participants by country"),
        participants_label=_("Participants"),
        instructors_label=_("Instructors"),
    )
    files = [Attachment(f"{stem}-countries.png", PNG, bar)]
    if summary.frequency != SummaryFrequency.event_end:
        history = years()
        files.append(
            Attachment(
                f"{stem}-years.png",
                PNG,
                charts.line_by_year(
                    [t.year for t in history],
                    [t.participants for t in history],
                    [t.instructors for t in history],
                    title=_("Participants across years"),
                    participants_label=_("Participants"),
                    instructors_label=_("Instructors"),
                ),
            )
        )
    tables = [table]
    if summary.frequency == SummaryFrequency.year_end:
        tables = report.annual_report(summary.year, language)
    files.append(Attachment(f"{stem}.csv", CSV, report.to_csv(tables)))
    files.append(Attachment(f"{stem}.xlsx", XLSX, report.to_xlsx(tables)))
    return files


def subscribers(frequency: str) -> list[User]:
    users = db.session.scalars(
        select(User)
        .join(SummarySubscription, SummarySubscription.user_id == User.id)
        .where(SummarySubscription.frequency == frequency, User.active.is_(True))
        .order_by(User.id)
    ).all()
    # Only the Secretariat receives the Network's totals, even if a role was taken away.
    return [user for user in users if is_staff(user)]


def queue_summary(summary: Summary) -> int:
    """Queues the summary for every subscriber, once; returns how many were queued."""
    if db.session.scalar(
        select(SummaryDispatch.id).where(
            SummaryDispatch.frequency == summary.frequency, SummaryDispatch.key == summary.key
        )
    ):
        return 0
    recipients = subscribers(summary.frequency)
    dispatch = SummaryDispatch(
        frequency=summary.frequency, key=summary.key, recipients=len(recipients)
    )
    try:
        with db.session.begin_nested():
            db.session.add(dispatch)
    except IntegrityError:  # another worker took this summary first
        return 0
    names = _country_names()
    context = _context(summary, names)
    for user in recipients:
        language = user.person.language if user.person else "es"
        with force_locale(language):
            files = _attachments(summary, language, names)
        queue_message(
            to=user.email,
            name=user.person.full_name if user.person else None,
            template=TEMPLATE,
            language=language,
            context=context,
            event_id=summary.event.id if summary.event else None,
            attachments=files,
        )
    db.session.commit()
    return len(recipients)


# --- what beat asks for ----------------------------------------------------------------------


def ended_events(today: date) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.end_date < today,
                Event.end_date >= today - timedelta(days=EVENT_GRACE_DAYS),
                Event.status != EventStatus.cancelled,
            )
            .order_by(Event.end_date, Event.id)
        )
    )


def send_event_summaries(today: date) -> int:
    return sum(queue_summary(event_summary(event)) for event in ended_events(today))


def send_weekly_summary(today: date) -> int:
    return queue_summary(weekly_summary(today))


def send_year_summary(year: int) -> int:
    return queue_summary(year_summary(year))


# --- subscriptions ---------------------------------------------------------------------------


def subscriptions_of(user_id: int) -> set[str]:
    return set(
        db.session.scalars(
            select(SummarySubscription.frequency).where(SummarySubscription.user_id == user_id)
        )
    )


def set_subscriptions(user_id: int, frequencies: set[str]) -> set[str]:
    """Replaces the user's subscriptions; unknown frequencies are refused."""
    wanted = {SummaryFrequency(f).value for f in frequencies}
    current = subscriptions_of(user_id)
    for frequency in wanted - current:
        db.session.add(SummarySubscription(user_id=user_id, frequency=frequency))
    for subscription in db.session.scalars(
        select(SummarySubscription).where(
            SummarySubscription.user_id == user_id,
            SummarySubscription.frequency.in_(current - wanted),
        )
    ):
        db.session.delete(subscription)
    db.session.commit()
    return wanted
