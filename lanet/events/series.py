"""Series of events held in cycles of parts (the Lemkin Seminar: two parts per cycle).

Creating a series, opening its next cycle and adding a part are audited and commit; the parts
themselves are events created with `editing.create_event` (cycle_id and part_number set).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select

from lanet.core import audit
from lanet.events.models import Cycle, Series
from lanet.events.validation import EventInvalid
from lanet.extensions import db
from lanet.network.models import LANGUAGES

CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def create_series(
    code: str,
    names: dict[str, str],
    parts_per_cycle: int,
    description: str | None = None,
    *,
    user_id: int | None = None,
) -> Series:
    errors: dict[str, str] = {}
    code = (code or "").strip().lower()
    if not CODE_PATTERN.match(code) or not 3 <= len(code) <= 64:
        errors["code"] = _("Use 3 to 64 lower-case letters, digits and single hyphens.")
    elif db.session.scalar(select(Series.id).where(Series.code == code)) is not None:
        errors["code"] = _("Another series already has this code.")
    names = {k: v.strip()[:300] for k, v in (names or {}).items() if k in LANGUAGES and v.strip()}
    if not names:
        errors["names"] = _("Give the series a name.")
    if not isinstance(parts_per_cycle, int) or not 1 <= parts_per_cycle <= 12:
        errors["parts_per_cycle"] = _("A cycle has from 1 to 12 parts.")
    if errors:
        raise EventInvalid(errors)
    try:
        series = Series(
            code=code,
            name_translations=names,
            description=(description or "").strip()[:5000] or None,
            parts_per_cycle=parts_per_cycle,
        )
        db.session.add(series)
        db.session.flush()
        audit.record(
            "series.created",
            "series",
            series.id,
            user_id=user_id,
            changes={
                "before": {},
                "after": {"code": code, "names": names, "parts_per_cycle": parts_per_cycle},
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return series


def open_next_cycle(series_id: int, *, user_id: int | None = None) -> Cycle:
    """The series' next cycle (number one above the highest so far)."""
    try:
        series = db.session.scalar(select(Series).where(Series.id == series_id).with_for_update())
        if series is None:
            raise EventInvalid({"series": _("No such series.")})
        highest = db.session.scalar(
            select(func.max(Cycle.number)).where(Cycle.series_id == series.id)
        )
        cycle = Cycle(series_id=series.id, number=(highest or 0) + 1)
        db.session.add(cycle)
        db.session.flush()
        audit.record(
            "series.cycle_opened",
            "cycle",
            cycle.id,
            user_id=user_id,
            changes={"before": {}, "after": {"series": series.code, "number": cycle.number}},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return cycle


def series_by_code(code: str) -> Series | None:
    return db.session.scalar(select(Series).where(Series.code == code))


def cycle_of(series: Series, number: int) -> Cycle | None:
    return db.session.scalar(
        select(Cycle).where(Cycle.series_id == series.id, Cycle.number == number)
    )


def free_parts(cycle: Cycle) -> list[int]:
    taken = {event.part_number for event in cycle.parts}
    return [n for n in range(1, cycle.series.parts_per_cycle + 1) if n not in taken]
