"""Who earns a certificate, decided from plain data (no database): testable by hand.

Attendance certificate: a person in one of the template's roles who attended at least
`min_share` percent of the event's days. Completion certificate: a person who attended
(at least one day of) every part of the cycle. An organizer's decision overrides the rule
either way, with its reason.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date


class Reason(enum.StrEnum):
    attended_enough = "attended_enough"
    completed_cycle = "completed_cycle"
    too_few_days = "too_few_days"
    missed_part = "missed_part"
    role_not_covered = "role_not_covered"
    not_confirmed = "not_confirmed"
    added = "added"
    withheld = "withheld"


@dataclass(frozen=True)
class Part:
    """An event whose days count: one for an attendance template, every part for a cycle."""

    event_id: int
    days: int  # the event's number of days


@dataclass(frozen=True)
class Candidate:
    person_id: int
    name: str
    role: str  # the role of the registration (the first part's, for a cycle)
    confirmed: bool
    # event id -> the days attended there
    attended: Mapping[int, frozenset[date]] = field(default_factory=dict)


@dataclass(frozen=True)
class Override:
    decision: str  # "add" or "withhold"
    reason: str


@dataclass(frozen=True)
class Entry:
    person_id: int
    name: str
    role: str
    days_attended: int
    days_total: int
    eligible: bool
    reason: Reason
    note: str = ""  # the organizer's reason, for an override

    @property
    def share(self) -> int:
        """Percent of the days attended, rounded down."""
        return (100 * self.days_attended // self.days_total) if self.days_total else 0


def evaluate(
    kind: str,
    parts: list[Part],
    candidates: Iterable[Candidate],
    *,
    min_share: int,
    roles: Iterable[str],
    overrides: Mapping[int, Override] | None = None,
) -> list[Entry]:
    """Every candidate with the decision and why, eligible first, then by name."""
    roles = set(roles)
    overrides = overrides or {}
    days_total = sum(part.days for part in parts)
    entries = []
    for candidate in candidates:
        attended = sum(len(candidate.attended.get(part.event_id, ())) for part in parts)
        eligible, reason = _rule(kind, parts, candidate, attended, days_total, min_share, roles)
        note = ""
        override = overrides.get(candidate.person_id)
        if override is not None:
            eligible = override.decision == "add"
            reason = Reason.added if eligible else Reason.withheld
            note = override.reason
        entries.append(
            Entry(
                person_id=candidate.person_id,
                name=candidate.name,
                role=candidate.role,
                days_attended=attended,
                days_total=days_total,
                eligible=eligible,
                reason=reason,
                note=note,
            )
        )
    entries.sort(key=lambda e: (not e.eligible, e.name.casefold(), e.person_id))
    return entries


def _rule(
    kind: str,
    parts: list[Part],
    candidate: Candidate,
    attended: int,
    days_total: int,
    min_share: int,
    roles: set[str],
) -> tuple[bool, Reason]:
    if candidate.role not in roles:
        return False, Reason.role_not_covered
    if not candidate.confirmed:
        return False, Reason.not_confirmed
    if kind == "completion":
        if parts and all(candidate.attended.get(part.event_id) for part in parts):
            return True, Reason.completed_cycle
        return False, Reason.missed_part
    # Integer arithmetic: 3 of 4 days is exactly 75 %, never 74.999…
    if days_total and attended > 0 and attended * 100 >= min_share * days_total:
        return True, Reason.attended_enough
    return False, Reason.too_few_days
