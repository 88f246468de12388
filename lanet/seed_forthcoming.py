"""The demo in the present: events after the report, dated from the day the demo is loaded.

The 2012–2015 events stay as history. On top of them the demo sets up, through the same
services the Secretariat uses, a forthcoming Lemkin Seminar cycle 3 (part 1 in Oświęcim a few
months from today, copied from cycle 2 part 1 with its quotas and agenda skeleton, open for
registration; part 2 at a Latin American site months later, planned) and a forthcoming Focal
Points meeting, open with a quota per member country. Each is looked up by its slug first:
running the demo again changes nothing, and what users changed since is kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lanet.accounts.models import User
from lanet.events import editing, lifecycle
from lanet.events import series as series_service
from lanet.events.models import Event
from lanet.events.validation import EventInput
from lanet.extensions import db
from lanet.network import demo_data as data

SERIES = "lemkin-la"
CYCLE_3_PART_1 = "lemkin-c3-p1"
CYCLE_3_PART_2 = "lemkin-c3-p2"
FOCAL_POINTS_MEETING = "focal-points-meeting-next"
# Part 1 starts about four months after the demo is loaded, part 2 about six months later.
PART_1_AFTER_DAYS = 120
PART_2_AFTER_DAYS = 300
MEETING_AFTER_DAYS = 75
CYCLE_3_CAPACITY = 30
CYCLE_3_QUOTAS = {"AR": 3, "BR": 3, "CO": 2, "GT": 2, "MX": 3, "PE": 2}
MEETING_SEATS_PER_COUNTRY = 2
MEETING_CAPACITY = 40


def _monday_after(day: date, days: int) -> date:
    target = day + timedelta(days=days)
    return target + timedelta(days=(7 - target.weekday()) % 7)


def _local(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, 0), ZoneInfo(zone)).astimezone(UTC)


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _exists(slug: str) -> bool:
    return db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None


def seed_forthcoming(today: date | None = None) -> list[str]:
    """Creates what is missing; returns the slugs created. Commits (through the services)."""
    today = today or datetime.now(UTC).date()
    now = datetime.now(UTC)
    staff = _user("staff@lanet.example")
    organizer = _user("organizer@lanet.example")
    staff_id = staff.id if staff else None
    created: list[str] = []
    # History first: whatever the report planned for the past takes no registrations now.
    lifecycle.sweep_windows(now)

    found = series_service.series_by_code(SERIES)
    if found is not None:
        cycle = series_service.cycle_of(found, 3) or series_service.open_next_cycle(
            found.id, user_id=staff_id
        )
        if not _exists(CYCLE_3_PART_1):
            source = db.session.scalar(select(Event).where(Event.slug == "lemkin-c2-p1"))
            start = _monday_after(today, PART_1_AFTER_DAYS)
            if source is not None:
                part_one = editing.copy_input(source, start, slug=CYCLE_3_PART_1)
            else:
                part_one = EventInput(
                    kind="lemkin_seminar", title="", timezone="Europe/Warsaw",
                    start_date=start, end_date=start + timedelta(days=7),
                )  # fmt: skip
            part_one.title = "Raphael Lemkin Seminar, cycle 3, part 1"
            part_one.title_translations = dict(data._lemkin(3, 1))
            part_one.city, part_one.country_code = "Oświęcim", "PL"
            part_one.capacity, part_one.quotas = CYCLE_3_CAPACITY, dict(CYCLE_3_QUOTAS)
            part_one.registration_opens_at = now - timedelta(days=1)
            part_one.registration_closes_at = _local(
                start - timedelta(days=21), 18, "Europe/Warsaw"
            )
            part_one.languages = ["es", "pt", "en"]
            part_one.cycle_id, part_one.part_number = cycle.id, 1
            organizers = [organizer.id] if organizer else []
            event = (
                editing.copy_event(source.id, part_one, user_id=staff_id)
                if source is not None
                else editing.create_event(part_one, user_id=staff_id)
            )
            for user_id in organizers:
                editing.add_organizer(event.id, user_id)
            lifecycle.open_registration(event.id, user_id=staff_id)
            created.append(CYCLE_3_PART_1)
        if not _exists(CYCLE_3_PART_2):
            start = _monday_after(today, PART_2_AFTER_DAYS)
            part_two = EventInput(
                kind="lemkin_seminar",
                title="Raphael Lemkin Seminar, cycle 3, part 2",
                title_translations=dict(data._lemkin(3, 2)),
                slug=CYCLE_3_PART_2,
                city="Ciudad de Guatemala",
                country_code="GT",
                timezone="America/Guatemala",
                start_date=start,
                end_date=start + timedelta(days=4),
                capacity=CYCLE_3_CAPACITY,
                quotas=dict(CYCLE_3_QUOTAS),
                # Opens by itself (beat) two months ahead; those who attended part 1 come back.
                registration_opens_at=_local(start - timedelta(days=60), 9, "America/Guatemala"),
                registration_closes_at=_local(start - timedelta(days=14), 18, "America/Guatemala"),
                languages=["es", "pt", "en"],
                cycle_id=cycle.id,
                part_number=2,
            )
            event = editing.create_event(part_two, user_id=staff_id)
            if organizer:
                editing.add_organizer(event.id, organizer.id)
            created.append(CYCLE_3_PART_2)

    if not _exists(FOCAL_POINTS_MEETING):
        start = _monday_after(today, MEETING_AFTER_DAYS) + timedelta(days=1)
        zone = "America/Argentina/Buenos_Aires"
        meeting = EventInput(
            kind="focal_points_meeting",
            title="Annual meeting of the Network's Focal Points",
            title_translations={
                "es": "Reunión anual de Puntos Focales de la Red",
                "pt": "Reunião anual dos Pontos Focais da Rede",
                "en": "Annual meeting of the Network's Focal Points",
            },
            slug=FOCAL_POINTS_MEETING,
            attendance_mode="hybrid",
            venue="Palacio San Martín",
            city="Buenos Aires",
            country_code="AR",
            online_url="https://meet.lanet.example/focal-points",
            timezone=zone,
            start_date=start,
            end_date=start + timedelta(days=1),
            capacity=MEETING_CAPACITY,
            quotas={code: MEETING_SEATS_PER_COUNTRY for code in data.MEMBER_COUNTRIES},
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=_local(start - timedelta(days=7), 18, zone),
            requires_approval=True,
            languages=["es", "pt", "en"],
        )
        event = editing.create_event(meeting, user_id=staff_id)
        lifecycle.open_registration(event.id, user_id=staff_id)
        created.append(FOCAL_POINTS_MEETING)
    return created
