"""Attendance and summary subscriptions: declared for lanet.privacy.

Attendance rows stay after an erasure: they hold days and times of a registration, nothing
that names the person once the person row is blanked, and the Network's totals count them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from lanet.accounts.models import User
from lanet.attendance.models import Attendance, SummarySubscription
from lanet.core.personal_data import PersonalData, declare, iso, not_personal
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Registration


def export_attendance(person: Person) -> dict[str, Any]:
    rows = db.session.execute(
        select(Attendance, Registration)
        .join(Registration, Attendance.registration_id == Registration.id)
        .where(Registration.person_id == person.id)
        .order_by(Registration.id, Attendance.day)
    ).all()
    subscriptions = db.session.scalars(
        select(SummarySubscription.frequency)
        .join(User, SummarySubscription.user_id == User.id)
        .where(User.person_id == person.id)
        .order_by(SummarySubscription.frequency)
    ).all()
    return {
        "days": [
            {
                "registration_id": registration.id,
                "event": registration.event.slug,
                "day": attendance.day.isoformat(),
                "checked_in_at": iso(attendance.checked_in_at),
                "method": attendance.method,
            }
            for attendance, registration in rows
        ],
        "summary_subscriptions": list(subscriptions),
    }


def erase_attendance(person: Person) -> None:
    # The erased account receives nothing any more.
    user_ids = select(User.id).where(User.person_id == person.id).scalar_subquery()
    db.session.execute(
        delete(SummarySubscription)
        .where(SummarySubscription.user_id.in_(user_ids))
        .execution_options(synchronize_session=False)
    )


declare(
    PersonalData(
        name="attendance.attendance",
        columns={
            "attendance": ["day", "checked_in_at", "method"],
            "summary_subscriptions": ["frequency"],
        },
        export=export_attendance,
        erase=erase_attendance,
        description="days attended stay for the totals; summary subscriptions go",
    )
)
not_personal(
    "attendance_totals",
    ["key"],
    "aggregate counts by event, country, kind…; a person appears in none on their own",
)
not_personal("summary_dispatches", ["key"], "which summary was sent when, e.g. 'week:2026-W48'")
