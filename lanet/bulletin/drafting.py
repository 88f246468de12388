"""The first draft of a bulletin, written from LANET's own data in es, pt and en.

Facts are gathered once (events held in the period, their places, partners, participants by
country, published agendas; the events planned next) and written in each language with
`force_locale`, so the three drafts say the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from lanet.agenda.queries import latest_version
from lanet.attendance.models import ALL_YEARS, Attendance, AttendanceTotal, TotalDimension
from lanet.attendance.totals import PARTICIPANT_ROLES
from lanet.bulletin.models import LANGUAGES
from lanet.core.web import format_date_range
from lanet.events.labels import KIND_LABELS, PARTNER_ROLE_LABELS
from lanet.events.models import Event, EventPartner, EventStatus
from lanet.extensions import db
from lanet.network.models import Country, Person
from lanet.registration.models import Registration
from lanet.registration.queries import registration_is_open

# How far after the period "planned next" looks, and how many events it lists at most.
NEXT_WINDOW = timedelta(days=184)
NEXT_LIMIT = 12
SUMMARY_CHARS = 360


@dataclass
class HeldEvent:
    event: Event
    participants: int
    # country code -> participants from that country, most first.
    by_country: list[tuple[str, int]]
    modules: list[str]
    speakers: list[str]


@dataclass
class Facts:
    start: date
    end: date
    held: list[HeldEvent] = field(default_factory=list)
    planned: list[Event] = field(default_factory=list)
    # Participants of the period's events (a person counted once), by country.
    period_by_country: list[tuple[str, int]] = field(default_factory=list)
    period_participants: int = 0
    countries: dict[str, Country] = field(default_factory=dict)


def half_year(day: date) -> tuple[date, date]:
    """The half-year containing `day`."""
    if day.month <= 6:
        return date(day.year, 1, 1), date(day.year, 6, 30)
    return date(day.year, 7, 1), date(day.year, 12, 31)


def previous_half_year(today: date) -> tuple[date, date]:
    """The last half-year that has ended: the default period of a new bulletin."""
    start, _end = half_year(today)
    return half_year(start - timedelta(days=1))


def _events_query():
    return (
        select(Event)
        .where(Event.is_public.is_(True), Event.status != EventStatus.cancelled)
        .options(
            selectinload(Event.country),
            selectinload(Event.partners).selectinload(EventPartner.institution),
        )
        .order_by(Event.start_date, Event.id)
    )


def _participants_by_event_country(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Participants who attended, by event and country: the same count as the totals."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(
            Registration.event_id,
            func.coalesce(Person.country_code, ""),
            func.count(distinct(Registration.person_id)),
        )
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id.in_(event_ids), Registration.role.in_(PARTICIPANT_ROLES))
        .group_by(Registration.event_id, Person.country_code)
    ).all()
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for event_id, country, count in rows:
        found[event_id][country] = count
    return found


def _period_by_country(event_ids: list[int]) -> list[tuple[str, int]]:
    if not event_ids:
        return []
    rows = db.session.execute(
        select(func.coalesce(Person.country_code, ""), func.count(distinct(Person.id)))
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id.in_(event_ids), Registration.role.in_(PARTICIPANT_ROLES))
        .group_by(Person.country_code)
    ).all()
    return sorted(((c, n) for c, n in rows), key=lambda row: (-row[1], row[0]))


def _stored_event_totals(event_ids: list[int]) -> dict[int, int]:
    """Participants per event from the compiled attendance totals (all years' row)."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(AttendanceTotal.key, AttendanceTotal.participants).where(
            AttendanceTotal.dimension == TotalDimension.event,
            AttendanceTotal.year == ALL_YEARS,
            AttendanceTotal.key.in_([str(i) for i in event_ids]),
        )
    ).all()
    return {int(key): participants for key, participants in rows}


def _agenda(event_id: int) -> tuple[list[str], list[str]]:
    """Modules and sessions of the published agenda, and its speakers (each once)."""
    version = latest_version(event_id)
    if version is None:
        return [], []
    modules: list[str] = []
    speakers: list[str] = []
    for item in version.items or []:
        title = item.get("title")
        if item.get("kind") in ("module", "session") and title and title not in modules:
            modules.append(title)
        for speaker in item.get("speakers", []):
            name = speaker.get("name")
            if not name:
                continue
            text = f"{name} ({speaker['affiliation']})" if speaker.get("affiliation") else name
            if text not in speakers:
                speakers.append(text)
    return modules, speakers


def gather(start: date, end: date) -> Facts:
    facts = Facts(start=start, end=end)
    in_period = list(
        db.session.scalars(
            _events_query().where(Event.start_date >= start, Event.start_date <= end)
        )
    )
    held = [e for e in in_period if e.status == EventStatus.held]
    ids = [e.id for e in held]
    stored = _stored_event_totals(ids)
    by_country = _participants_by_event_country(ids)
    for event in held:
        countries = by_country.get(event.id, {})
        modules, speakers = _agenda(event.id)
        facts.held.append(
            HeldEvent(
                event=event,
                # The compiled totals are the reference; before a compile, the live count.
                participants=stored.get(event.id, sum(countries.values())),
                by_country=sorted(countries.items(), key=lambda row: (-row[1], row[0])),
                modules=modules,
                speakers=speakers,
            )
        )
    facts.period_by_country = _period_by_country(ids)
    facts.period_participants = sum(n for _c, n in facts.period_by_country)
    facts.planned = list(
        db.session.scalars(
            _events_query()
            .where(
                Event.start_date > end,
                Event.start_date <= end + NEXT_WINDOW,
            )
            .limit(NEXT_LIMIT)
        )
    )
    # Events of the period not yet held (planned, open) are announced as coming too.
    facts.planned[:0] = [e for e in in_period if e.status != EventStatus.held]
    facts.countries = {c.code: c for c in db.session.scalars(select(Country))}
    return facts


# --- writing -----------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Data (titles, names) goes into Markdown as text, never as markup."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def _country(facts: Facts, code: str | None, language: str) -> str:
    if not code:
        return _("Country not stated")
    country = facts.countries.get(code)
    return country.name(language) if country else code


def period_label(start: date, end: date) -> str:
    """ "first half of 2014" where the period is a half-year; the dates otherwise."""
    if start.year == end.year and (start.month, start.day, end.month, end.day) == (1, 1, 6, 30):
        return _("first half of %(year)s", year=start.year)
    if start.year == end.year and (start.month, start.day, end.month, end.day) == (7, 1, 12, 31):
        return _("second half of %(year)s", year=start.year)
    return format_date_range(start, end)


def title_for(start: date, end: date) -> str:
    return _("LANET bulletin: %(period)s", period=period_label(start, end))


def _summary(held: HeldEvent) -> str:
    text = " ".join((held.event.description or "").split())
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return text


def _place(event: Event, facts: Facts, language: str) -> str:
    parts = [event.venue, event.display_city(language)]
    if event.country_code:
        parts.append(_country(facts, event.country_code, language))
    return ", ".join(p for p in parts if p)


def _partners(event: Event) -> list[str]:
    by_role: dict[str, list[str]] = defaultdict(list)
    for partner in event.partners:
        by_role[partner.role].append(partner.institution.name)
    return [
        f"{PARTNER_ROLE_LABELS.get(role, role)} {', '.join(_escape(n) for n in names)}"
        for role, names in by_role.items()
    ]


def _held_section(held: HeldEvent, facts: Facts, language: str) -> list[str]:
    event = held.event
    lines = [f"### {_escape(event.display_title(language))}", ""]
    when = format_date_range(event.start_date, event.end_date, event.date_precision)
    facts_line = [f"**{when}**"]
    place = _place(event, facts, language)
    if place:
        facts_line.append(_escape(place))
    facts_line.append(str(KIND_LABELS.get(event.kind, event.kind)))
    lines += [" · ".join(facts_line), ""]
    partners = _partners(event)
    if partners:
        lines += ["; ".join(partners) + ".", ""]
    summary = _summary(held)
    if summary:
        lines += [_escape(summary), ""]
    if held.modules:
        lines += [
            _("Programme: %(items)s.", items="; ".join(_escape(m) for m in held.modules[:8])),
            "",
        ]
    if held.speakers:
        lines += [
            _("Speakers: %(names)s.", names="; ".join(_escape(s) for s in held.speakers[:10])),
            "",
        ]
    if held.participants:
        countries = ", ".join(
            f"{_escape(_country(facts, code, language))} {count}" for code, count in held.by_country
        )
        lines += [
            _(
                "Participants: %(count)s (%(countries)s).",
                count=held.participants,
                countries=countries,
            )
            if countries
            else _("Participants: %(count)s.", count=held.participants),
            "",
        ]
    return lines


def _planned_section(event: Event, facts: Facts, language: str, base_url: str) -> str:
    when = format_date_range(event.start_date, event.end_date, event.date_precision)
    place = _place(event, facts, language)
    text = f"- **{_escape(event.display_title(language))}** · {when}"
    if place:
        text += f" · {_escape(place)}"
    # Babel does not extract from inside f-strings: each label is its own call.
    if registration_is_open(event):
        label, url = _("Register"), f"{base_url}/events/{event.slug}/register"
    else:
        label, url = _("Details"), f"{base_url}/events/{event.slug}"
    text += f" · [{label}]({url})"
    return text


def write(facts: Facts, language: str) -> tuple[str, str]:
    """(subject, Markdown) in `language`."""
    base_url = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(language):
        title = title_for(facts.start, facts.end)
        lines = [f"# {_escape(title)}", ""]
        period = period_label(facts.start, facts.end)
        if facts.held:
            lines += [
                _(
                    "In the %(period)s the Network carried out %(events)s activities, with "
                    "%(people)s participants from %(countries)s countries.",
                    period=period,
                    events=len(facts.held),
                    people=facts.period_participants,
                    countries=len([c for c, _n in facts.period_by_country if c]),
                ),
                "",
                "## " + _("Activities carried out"),
                "",
            ]
            for held in facts.held:
                lines += _held_section(held, facts, language)
        else:
            lines += [_("No activity of the Network was carried out in this period."), ""]
        if facts.period_by_country:
            lines += [
                "## " + _("Participants by country"),
                "",
                "| " + _("Country") + " | " + _("Participants") + " |",
                "|---|---:|",
            ]
            for code, count in facts.period_by_country:
                lines.append(f"| {_escape(_country(facts, code, language))} | {count} |")
            total = _("Total")
            lines += [f"| **{total}** | **{facts.period_participants}** |", ""]
        if facts.planned:
            lines += ["## " + _("Coming next"), ""]
            lines += [_planned_section(e, facts, language, base_url) for e in facts.planned]
            lines.append("")
    return title, "\n".join(lines).rstrip() + "\n"


def draft(start: date, end: date) -> dict[str, tuple[str, str]]:
    """language -> (subject, Markdown), from one gathering of the facts."""
    facts = gather(start, end)
    return {language: write(facts, language) for language in LANGUAGES}
