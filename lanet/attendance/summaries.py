"""Attendance summaries by email to subscribed staff: after each event, weekly, at year end.

Each summary is written once (a SummaryDispatch row per event, week or year, unique in the
database) and queued through the outbox in each recipient's language, with a chart and the
table as CSV and XLSX attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, func, literal_column, select
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
from lanet.attendance.totals import (
    INSTRUCTOR_ROLES,
    PARTICIPANT_ROLES,
    ensure_fresh,
    last_compiled_at,
)
from lanet.core.types import utcnow
from lanet.events.models import Event, EventStatus
from lanet.extensions import db
from lanet.mail.compose import inline_cid
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


# A summary asked for from the totals page, for any span of days (not a subscription).
PERIOD = "period"


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
    period: tuple[date, date] | None = None
    # When the numbers were counted: the stored totals' compile, or now for live counts.
    counted_at: datetime | None = None


# --- what a summary counts -------------------------------------------------------------------


def _live_rows(*conditions) -> list[CountryRow]:
    """Attendees by country, counted from the attendance rows that meet `conditions`, in the
    database, with the stored totals' definition: each person once, and who taught or spoke
    counts as an instructor, not also as a participant."""
    # One expression object in SELECT and GROUP BY: PostgreSQL must see them as the same.
    country = func.coalesce(Person.country_code, literal_column("''"))
    per_person = (
        select(
            country.label("country"),
            Registration.person_id,
            func.max(case((Registration.role.in_(PARTICIPANT_ROLES), 1), else_=0)).label("p"),
            func.max(case((Registration.role.in_(INSTRUCTOR_ROLES), 1), else_=0)).label("i"),
            func.count(Attendance.id).label("days"),
        )
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(*conditions)
        .group_by(country, Registration.person_id)
        .subquery()
    )
    people = per_person.c
    rows = db.session.execute(
        select(
            people.country,
            func.sum(case((people.i == 1, 0), else_=people.p)),
            func.sum(people.i),
            func.count(),
            func.sum(people.days),
        ).group_by(people.country)
    ).all()
    return sorted(
        (CountryRow(row[0], *(int(n or 0) for n in row[1:])) for row in rows),
        key=lambda r: (-r.people, r.code),
    )


def _sum_rows(rows: list[CountryRow]) -> CountryRow:
    """The overall row of live rows: a person has one country, so the sums count each once."""
    return CountryRow(
        "",
        sum(r.participants for r in rows),
        sum(r.instructors for r in rows),
        sum(r.people for r in rows),
        sum(r.person_days for r in rows),
    )


def _event_rows(event_id: int) -> list[CountryRow]:
    """One event's attendees by country, grouped in the database."""
    return _live_rows(Registration.event_id == event_id)


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
    # Counted live, like the rows: the overall row then agrees with them whatever the state
    # of the stored totals.
    rows = _event_rows(event.id)
    return Summary(
        SummaryFrequency.event_end,
        f"event:{event.id}",
        event.start_date.year,
        rows,
        _sum_rows(rows),
        event=event,
        counted_at=utcnow(),
    )


def period_summary(start: date, end: date) -> Summary:
    """Attendance on the days from `start` to `end`, counted live from the check-ins."""
    rows = _live_rows(Attendance.day.between(start, end))
    return Summary(
        PERIOD,
        f"period:{start.isoformat()}:{end.isoformat()}",
        end.year,
        rows,
        _sum_rows(rows),
        period=(start, end),
        counted_at=utcnow(),
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
        counted_at=last_compiled_at(),
    )


def year_summary(year: int) -> Summary:
    return Summary(
        SummaryFrequency.year_end,
        f"year:{year}",
        year,
        _stored_rows(year),
        _overall(TotalDimension.year, year, str(year)),
        counted_at=last_compiled_at(),
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
        "period": [d.isoformat() for d in summary.period] if summary.period else None,
        "counted_at": summary.counted_at.strftime("%Y-%m-%d %H:%M") if summary.counted_at else None,
        # Shown inside the HTML body (multipart/related); `_charts` makes the same names.
        "charts": [
            {"kind": kind, "cid": inline_cid(_chart_filename(summary, kind))}
            for kind in _chart_kinds(summary)
        ],
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


def _stem(summary: Summary) -> str:
    return f"lanet-attendance-{summary.key.replace(':', '-')}"


def _chart_kinds(summary: Summary) -> list[str]:
    # The years' line belongs to the summaries of the stored totals (week, year).
    if summary.frequency in (SummaryFrequency.event_end, PERIOD):
        return ["countries"]
    return ["countries", "years"]


def _chart_filename(summary: Summary, kind: str) -> str:
    return f"{_stem(summary)}-{kind}.png"


def _attachments(summary: Summary, language: str, names: dict) -> list[Attachment]:
    """Built inside force_locale(language): chart titles and column names in that language.
    The charts are referred to from the HTML by `cid:`, so the email shows them inline."""
    from lanet.attendance import charts  # matplotlib loads only in the process that draws

    table = _country_table(summary, language, names)
    stem = _stem(summary)
    bar = charts.bar_by_country(
        [row[0] for row in table.rows],
        [r.participants for r in summary.rows],
        [r.instructors for r in summary.rows],
        title=_("Participants by country"),
        participants_label=_("Participants"),
        instructors_label=_("Instructors"),
    )
    files = [Attachment(_chart_filename(summary, "countries"), PNG, bar)]
    if "years" in _chart_kinds(summary):
        history = years()
        files.append(
            Attachment(
                _chart_filename(summary, "years"),
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
    _queue_for(summary, recipients)
    db.session.commit()
    return len(recipients)


def _queue_for(summary: Summary, recipients: list[User]) -> None:
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


class SummaryRequestError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def send_now(
    user_id: int,
    *,
    event_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    to_subscribers: bool = False,
) -> int:
    """Staff send a summary of one event or of a span of days from the totals page, to
    themselves or also to every staff member subscribed to summaries. Not recorded as a
    scheduled summary: asking again sends again. Returns how many messages were queued."""
    from lanet.core import audit

    user = db.session.get(User, user_id)
    if user is None or not is_staff(user):
        raise SummaryRequestError(_("Only the Secretariat sends attendance summaries."), "")
    if event_id is not None:
        event = db.session.get(Event, event_id)
        if event is None:
            raise SummaryRequestError(_("Choose an event from the list."), "event")
        summary = event_summary(event)
    else:
        if start is None or end is None:
            raise SummaryRequestError(_("Give the first and the last day."), "start")
        if end < start:
            raise SummaryRequestError(_("The last day comes before the first."), "end")
        if (end - start).days > 3660:
            raise SummaryRequestError(_("Choose at most ten years."), "end")
        summary = period_summary(start, end)
    recipients = [user]
    if to_subscribers:
        subscribed = db.session.scalars(
            select(User)
            .join(SummarySubscription, SummarySubscription.user_id == User.id)
            .where(User.active.is_(True), User.id != user.id)
            .distinct()
            .order_by(User.id)
        ).all()
        recipients += [u for u in subscribed if is_staff(u)]
    _queue_for(summary, recipients)
    audit.record(
        "summary.sent",
        "summary",
        None,
        changes={"key": summary.key, "recipients": len(recipients)},
        event_id=summary.event.id if summary.event else None,
        user_id=user.id,
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
    ensure_fresh()  # the stored totals, compiled now if a change is not in them yet
    return queue_summary(weekly_summary(today))


def send_year_summary(year: int) -> int:
    ensure_fresh()
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
