"""The demo's synthetic part, planned in memory before the database is touched.

`plan_demo(seed)` decides, from `random.Random(seed)` and the report's facts
(`lanet.network.demo_data`), which people exist, who registered for which event and who
attended which day; `lanet.seed` writes the plan. The same seed always gives the same plan,
whatever the database already holds.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lanet.network import demo_data as data

# --- What the demo adds to the report's facts ------------------------------------------------

# The Lemkin part the report planned for May 2015 took registrations, with country quotas,
# from January 2015 until two weeks before it; it is history now (closed). The demo's open
# events are in the present: see lanet/seed_forthcoming.py.
OPEN_EVENT = "lemkin-c2-p2"
OPEN_EVENT_CAPACITY = 40
OPEN_EVENT_QUOTAS: dict[str, int] = {"AR": 4, "BR": 3, "CO": 3, "MX": 3, "PE": 3}
OPEN_EVENT_REGISTRATION_OPENS_AT = datetime(2015, 1, 15, 12, 0, tzinfo=UTC)
OPEN_EVENT_REGISTRATION_CLOSES_AT = datetime(2015, 4, 17, 21, 0, tzinfo=UTC)
# The report names no site for it ("Latin America"); the Secretariat plans it in Buenos Aires
# time, so its dates and agenda show in a Latin American zone rather than in UTC.
OPEN_EVENT_TIMEZONE = "America/Argentina/Buenos_Aires"
# Applicants nominated per quota country on top of the cycle-2 participants coming back,
# enough for some quotas to fill and put a few people on the waiting list.
OPEN_EVENT_NEWCOMERS_PER_QUOTA_COUNTRY = 2

GOVERNMENT = ("ministry_foreign_affairs", "ministry_defense", "ministry_justice", "ombudsman")


@dataclass(frozen=True)
class Cohort:
    """Who registers for a held event: how many, from where, preferring which institutions."""

    size: int
    # "network": spread over the member countries; "host": mostly the host country;
    # a tuple: only those countries.
    scope: str | tuple[str, ...]
    kinds: tuple[str, ...] = ()
    instructors: int = 0
    # The earlier part of the same cycle: most of its attendees come back (size = newcomers).
    continues: str | None = None


COHORTS: dict[str, Cohort] = {
    "planning-2012": Cohort(28, "network", GOVERNMENT),
    "lemkin-c1-p1": Cohort(30, "network", (*GOVERNMENT, "security_forces"), instructors=3),
    "lemkin-c1-p2": Cohort(4, "network", GOVERNMENT, instructors=3, continues="lemkin-c1-p1"),
    "hrc25-side-event": Cohort(14, "network", ("ministry_foreign_affairs",)),
    "gaamac-1": Cohort(20, "network", ("ministry_foreign_affairs", "other_government")),
    "brussels-2014": Cohort(12, "network", ("ministry_foreign_affairs",)),
    "cr-tools-2014": Cohort(30, "host", GOVERNMENT),
    "cl-carabineros-2014": Cohort(22, "host", ("security_forces",)),
    "mx-mechanisms-2014": Cohort(28, "host", ("civil_society", "academia", *GOVERNMENT)),
    "fpm-2": Cohort(24, "network", GOVERNMENT),
    "py-chapter-2014": Cohort(18, "host", ("civil_society", *GOVERNMENT)),
    "mx-ihl-course-2014": Cohort(22, "host", ("ministry_defense", "security_forces")),
    "fio-assembly-2014": Cohort(16, "network", ("ombudsman",)),
    "co-ihl-course-2014": Cohort(20, "host", ("ministry_defense", "security_forces")),
    "lemkin-c2-p1": Cohort(30, "network", (*GOVERNMENT, "other_government"), instructors=3),
    "ar-hn-videoconf-2014": Cohort(18, ("AR", "HN"), ("other_government", *GOVERNMENT)),
    "pe-use-of-force-2014": Cohort(20, "host", ("security_forces", "ministry_defense")),
    "fpm-3": Cohort(24, "network", GOVERNMENT),
    "sv-cries-workshop": Cohort(16, "host", ("civil_society", "academia")),
}

# Where the report gives only a month or a year, attendance falls on a run of weekdays.
IMPRECISE_HELD_DAYS = {"lemkin_seminar": 5}
IMPRECISE_HELD_DAYS_DEFAULT = 2

# How often a kind of institution employs the synthetic people of a country.
INSTITUTION_KIND_WEIGHTS = {
    "ministry_foreign_affairs": 3.0,
    "ministry_defense": 2.0,
    "ministry_justice": 2.0,
    "ombudsman": 2.0,
    "security_forces": 2.0,
    "other_government": 1.5,
    "academia": 1.0,
    "civil_society": 1.5,
}

AGENDA_DAY_STARTS = time(9, 0)
AGENDA_LUNCH = (time(12, 30), time(14, 0))
AGENDA_GAP = timedelta(minutes=15)
AGENDA_DURATIONS = {
    "ceremony": timedelta(minutes=30),
    "session": timedelta(minutes=75),
    "module": timedelta(minutes=90),
    "visit": timedelta(minutes=120),
    "break": timedelta(minutes=30),
}
AGENDA_ROOM = "Sala principal"


# --- The plan: synthetic data decided before touching the database ----------------------------


@dataclass(frozen=True)
class PersonPlan:
    email: str
    first_name: str
    last_name: str
    country: str
    institution: str
    kind: str
    position: str
    language: str
    gender: str | None
    consent_contact: bool


@dataclass(frozen=True)
class AttendancePlan:
    day: date
    checked_in_at: datetime
    method: str


@dataclass(frozen=True)
class RegistrationPlan:
    email: str
    slug: str
    role: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    waitlisted_at: datetime | None = None
    seat_country: str | None = None
    nominated_by: str | None = None  # email of the demo account that nominated the person
    attendance: tuple[AttendancePlan, ...] = ()

    @property
    def updated_at(self) -> datetime:
        stamps = (self.created_at, self.confirmed_at, self.cancelled_at, self.waitlisted_at)
        return max(s for s in stamps if s is not None)


@dataclass(frozen=True)
class DemoPlan:
    people: tuple[PersonPlan, ...]
    registrations: tuple[RegistrationPlan, ...]
    # When each person agreed to data processing: their first registration.
    consent_at: dict[str, datetime]


def plan_demo(random_seed: int = 2014) -> DemoPlan:
    """The synthetic people and their registrations; pure, deterministic for a seed."""
    rng = random.Random(random_seed)
    people = _plan_people(rng)
    registrations = _plan_registrations(rng, people)
    consent_at: dict[str, datetime] = {}
    for reg in registrations:
        first = consent_at.get(reg.email)
        consent_at[reg.email] = reg.created_at if first is None else min(first, reg.created_at)
    return DemoPlan(tuple(people), tuple(registrations), consent_at)


def ascii_slug(text: str) -> str:
    """'María José' → 'maria-jose': accents are dropped for email addresses only."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())


def _plan_people(rng: random.Random) -> list[PersonPlan]:
    people: list[PersonPlan] = []
    for country in data.MEMBER_COUNTRIES:
        for _ in range(data.PEOPLE_PER_COUNTRY[country]):
            people.append(_plan_person(rng, country, number=len(people) + 1))
    return people


def _plan_person(rng: random.Random, country: str, number: int) -> PersonPlan:
    portuguese = country in data.PORTUGUESE_COUNTRIES
    # About one in twelve does not state a gender.
    gender = None if rng.random() < 0.08 else rng.choice(("female", "male"))
    female = gender == "female" if gender else rng.random() < 0.5
    if portuguese:
        first_names = data.FIRST_NAMES_PT_FEMALE if female else data.FIRST_NAMES_PT_MALE
        surnames = data.LAST_NAMES_PT
    else:
        first_names = data.FIRST_NAMES_ES_FEMALE if female else data.FIRST_NAMES_ES_MALE
        surnames = data.LAST_NAMES_ES + data.REGIONAL_LAST_NAMES.get(country, ()) * 3
    first_name = rng.choice(first_names)
    last_name = " ".join(_distinct(rng, surnames, 2 if rng.random() < 0.6 else 1))
    kinds = list(data.MEMBER_INSTITUTIONS[country])
    kind = rng.choices(kinds, weights=[INSTITUTION_KIND_WEIGHTS[k] for k in kinds])[0]
    institution = rng.choice(data.MEMBER_INSTITUTIONS[country][kind])
    positions = (data.POSITIONS_PT if portuguese else data.POSITIONS_ES)[kind]
    position = rng.choice(positions)[1 if female else 0]
    email = f"{ascii_slug(first_name)}.{ascii_slug(last_name)}.{number}@example.org"
    return PersonPlan(
        email=email,
        first_name=first_name,
        last_name=last_name,
        country=country,
        institution=institution,
        kind=kind,
        position=position,
        language="pt" if portuguese else "es",
        gender=gender,
        consent_contact=rng.random() < 0.6,
    )


def _distinct(rng: random.Random, choices: tuple[str, ...], count: int) -> list[str]:
    picked: list[str] = []
    while len(picked) < count:
        name = rng.choice(choices)
        if name not in picked:
            picked.append(name)
    return picked


def _plan_registrations(rng: random.Random, people: list[PersonPlan]) -> list[RegistrationPlan]:
    registrations: list[RegistrationPlan] = []
    # Participants of each held event who came at least one day: the next part draws on them.
    attended: dict[str, list[str]] = {}
    for event in data.EVENTS:
        if event.status != "held":
            continue
        cohort = COHORTS[event.slug]
        days = held_days(event, rng)
        returning = _returning(rng, attended.get(cohort.continues or "", []))
        taken = set(returning)
        instructors = _pick(rng, people, cohort.instructors, ("academia",), taken, only="academia")
        taken |= {p.email for p in instructors}
        newcomers = _cohort_people(rng, people, event, cohort, taken)
        event_regs = [
            _held_registration(rng, event, p.email, "instructor", days) for p in instructors
        ]
        event_regs += [
            _held_registration(rng, event, email, "participant", days, returning=True)
            for email in returning
        ]
        event_regs += [
            _held_registration(rng, event, p.email, "participant", days) for p in newcomers
        ]
        attended[event.slug] = [
            r.email for r in event_regs if r.role == "participant" and r.attendance
        ]
        registrations += event_regs
    registrations += _plan_open_event(rng, people, attended.get("lemkin-c2-p1", []))
    return registrations


def _returning(rng: random.Random, previous: list[str]) -> list[str]:
    """Four in five who attended the earlier part of a cycle come back for the next one."""
    if not previous:
        return []
    return rng.sample(previous, k=round(len(previous) * 0.8))


def _cohort_people(
    rng: random.Random,
    people: list[PersonPlan],
    event: data.EventData,
    cohort: Cohort,
    taken: set[str],
) -> list[PersonPlan]:
    if isinstance(cohort.scope, tuple):
        pool = [p for p in people if p.country in cohort.scope]
        return _pick(rng, pool, cohort.size, cohort.kinds, taken)
    if cohort.scope == "host" and event.country:
        host = [p for p in people if p.country == event.country]
        # Most of the room is the host country's; a few guests come from the region.
        host_count = min(round(cohort.size * 0.85), int(len(host) * 0.8))
        chosen = _pick(rng, host, host_count, cohort.kinds, taken)
        guests = [p for p in people if p.country != event.country]
        taken = taken | {p.email for p in chosen}
        return chosen + _pick(rng, guests, cohort.size - host_count, cohort.kinds, taken)
    return _pick(rng, people, cohort.size, cohort.kinds, taken)


def _pick(
    rng: random.Random,
    candidates: list[PersonPlan],
    count: int,
    kinds: tuple[str, ...],
    taken: set[str],
    only: str | None = None,
) -> list[PersonPlan]:
    """A weighted sample without replacement (Efraimidis–Spirakis), spread over countries.

    People of the preferred institution kinds weigh four times as much; dividing by the
    size of each country's pool keeps large delegations from filling every room.
    """
    if count <= 0:
        return []
    pool = [p for p in candidates if p.email not in taken and (only is None or p.kind == only)]
    per_country = Counter(p.country for p in pool)

    def key(person: PersonPlan) -> float:
        weight = (4.0 if person.kind in kinds else 1.0) / per_country[person.country]
        return rng.random() ** (1.0 / weight)

    keyed = [(key(p), p) for p in pool]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [p for _, p in keyed[:count]]


def held_days(event: data.EventData, rng: random.Random) -> list[date]:
    """The days an event took place: all of them, or weekdays inside a month or a year."""
    if event.date_precision == "day":
        return date_range(event.start_date, event.end_date)
    length = IMPRECISE_HELD_DAYS.get(event.kind, IMPRECISE_HELD_DAYS_DEFAULT)
    mondays = [
        d
        for d in date_range(event.start_date, event.end_date - timedelta(days=length - 1))
        if d.weekday() == 0
    ]
    first = rng.choice(mondays)
    return date_range(first, first + timedelta(days=length - 1))


def date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _held_registration(
    rng: random.Random,
    event: data.EventData,
    email: str,
    role: str,
    days: list[date],
    returning: bool = False,
) -> RegistrationPlan:
    created_at = utc_at(days[0] - timedelta(days=rng.randint(12, 70)), rng.randint(12, 22))
    confirmed_at = created_at + timedelta(hours=rng.randint(1, 72))
    # A few participants drop out; people coming back for part two and instructors do not.
    if role == "participant" and not returning and rng.random() < 0.05:
        cancelled_at = confirmed_at + timedelta(days=rng.randint(1, 10))
        return RegistrationPlan(
            email, event.slug, role, "cancelled", created_at, confirmed_at, cancelled_at
        )
    attendance = _attendance(rng, event, role, days, returning)
    return RegistrationPlan(
        email, event.slug, role, "confirmed", created_at, confirmed_at, attendance=attendance
    )


def _attendance(
    rng: random.Random, event: data.EventData, role: str, days: list[date], returning: bool
) -> tuple[AttendancePlan, ...]:
    if role == "instructor":
        # Instructors come for the one or two days of their module.
        span = min(len(days), rng.randint(1, 2))
        start = rng.randint(0, len(days) - span)
        present = days[start : start + span]
    elif not returning and rng.random() < 0.03:
        present = []  # confirmed, never came
    else:
        present = [d for d in days if rng.random() < 0.93] or ([days[0]] if returning else [])
    tz = ZoneInfo(event.timezone)
    method = "manual" if event.kind == "videoconference" else "import"
    return tuple(
        AttendancePlan(
            day,
            datetime.combine(day, time(8, 15), tz).astimezone(UTC)
            + timedelta(minutes=rng.randint(0, 60)),
            method,
        )
        for day in present
    )


def utc_at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), UTC)


class _OpenEventSeats:
    """Quota seats for the quota countries; the rest of the capacity for everyone else."""

    def __init__(self) -> None:
        self.quota_left = dict(OPEN_EVENT_QUOTAS)
        self.general_left = OPEN_EVENT_CAPACITY - sum(OPEN_EVENT_QUOTAS.values())

    def take(self, country: str) -> tuple[bool, str | None]:
        """(whether a seat was free, the quota country it counts against)."""
        if country in self.quota_left:
            if self.quota_left[country] == 0:
                return False, None
            self.quota_left[country] -= 1
            return True, country
        if self.general_left == 0:
            return False, None
        self.general_left -= 1
        return True, None


def _plan_open_event(
    rng: random.Random, people: list[PersonPlan], part_one: list[str]
) -> list[RegistrationPlan]:
    """Registrations for the open Lemkin part, first come first served."""
    countries = {p.email: p.country for p in people}
    nominators = {
        scope: account.email
        for account in data.DEMO_ACCOUNTS
        for role, scope in account.roles
        if role == "focal_point" and scope
    }
    seats = _OpenEventSeats()
    plans: list[RegistrationPlan] = []
    for created_at, email in _open_event_applicants(rng, people, part_one):
        country = countries[email]
        common: dict[str, Any] = {
            "email": email,
            "slug": OPEN_EVENT,
            "role": "participant",
            "created_at": created_at,
            "nominated_by": nominators.get(country),
        }
        confirmed_at = created_at + timedelta(hours=rng.randint(1, 48))
        if rng.random() < 0.06:
            # Registered and later withdrew, giving the seat back.
            cancelled_at = confirmed_at + timedelta(days=rng.randint(1, 20))
            plan = RegistrationPlan(
                status="cancelled", confirmed_at=confirmed_at, cancelled_at=cancelled_at, **common
            )
        else:
            got_seat, seat_country = seats.take(country)
            if got_seat:
                plan = RegistrationPlan(
                    status="confirmed",
                    confirmed_at=confirmed_at,
                    seat_country=seat_country,
                    **common,
                )
            else:
                plan = RegistrationPlan(status="waitlisted", waitlisted_at=created_at, **common)
        plans.append(plan)
    return plans


def _open_event_applicants(
    rng: random.Random, people: list[PersonPlan], part_one: list[str]
) -> list[tuple[datetime, str]]:
    """Most part-one participants, plus newcomers nominated by the quota countries, by date."""
    applicants = rng.sample(part_one, k=round(len(part_one) * 0.75))
    taken = set(part_one)
    for country in OPEN_EVENT_QUOTAS:
        pool = [p for p in people if p.country == country]
        newcomers = _pick(rng, pool, OPEN_EVENT_NEWCOMERS_PER_QUOTA_COUNTRY, GOVERNMENT, taken)
        applicants += [p.email for p in newcomers]
        taken |= {p.email for p in newcomers}
    return sorted(
        (OPEN_EVENT_REGISTRATION_OPENS_AT + timedelta(hours=rng.randint(1, 75 * 24)), email)
        for email in applicants
    )
