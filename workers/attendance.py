"""Attendance tasks, on the "reports" queue: recompiling the totals and the summary emails.

A change of attendance queues `compile_totals` after its commit; beat also recompiles every
few minutes, so totals catch up after a broker outage. Summaries go out once per event, week
and year (a unique SummaryDispatch row), whatever beat or a retry runs twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from celery import shared_task
from celery.schedules import crontab

from lanet.attendance import summaries, totals
from lanet.core.types import utcnow

REPORTS = {"queue": "reports"}

SCHEDULE = {
    "attendance-compile-totals": {
        "task": totals.COMPILE_TASK,
        "schedule": 600.0,
        "options": {**REPORTS, "expires": 600},
    },
    "attendance-event-summaries": {
        "task": "lanet.attendance.send_event_summaries",
        "schedule": crontab(minute=15),
        "options": {**REPORTS, "expires": 3600},
    },
    "attendance-weekly-summary": {
        "task": "lanet.attendance.send_weekly_summary",
        "schedule": crontab(minute=30, hour=6, day_of_week="mon"),
        "options": REPORTS,
    },
    "attendance-year-summary": {
        "task": "lanet.attendance.send_year_summary",
        "schedule": crontab(minute=45, hour=6, day_of_month=1, month_of_year=1),
        "options": REPORTS,
    },
}


def _today(value: str | None) -> date:
    return date.fromisoformat(value) if value else utcnow().date()


@shared_task(name=totals.COMPILE_TASK, ignore_result=True)
def compile_totals(requested_at: str | None = None) -> bool:
    """Skipped when a compile that started after the request has already run."""
    when = datetime.fromisoformat(requested_at) if requested_at else None
    return totals.compile_if_stale(when)


@shared_task(name="lanet.attendance.send_event_summaries", ignore_result=True)
def send_event_summaries(today: str | None = None) -> int:
    totals.compile_totals()
    return summaries.send_event_summaries(_today(today))


@shared_task(name="lanet.attendance.send_weekly_summary", ignore_result=True)
def send_weekly_summary(today: str | None = None) -> int:
    totals.compile_totals()
    return summaries.send_weekly_summary(_today(today))


@shared_task(name="lanet.attendance.send_year_summary", ignore_result=True)
def send_year_summary(year: int | None = None) -> int:
    """Beat runs it on 1 January for the year that just ended."""
    totals.compile_totals()
    return summaries.send_year_summary(year or (_today(None) - timedelta(days=1)).year)
