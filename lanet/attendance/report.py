"""The annual report's three tables for any year, and their CSV, XLSX and PDF files.

Labels are translated in the active locale: a page's request, or `force_locale` in a worker.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import distinct, extract, func, select

from lanet.attendance.models import Attendance, TotalDimension
from lanet.attendance.queries import country_names, total, totals_by
from lanet.core.web import format_date_range
from lanet.events.labels import KIND_LABELS
from lanet.events.models import Cycle, Event, EventKind, EventStatus
from lanet.extensions import db
from lanet.network.models import Person
from lanet.registration.models import Registration

Cell = str | int


@dataclass
class ReportTable:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    # The closing row (totals), shown apart; None where a sum would mean nothing.
    footer: list[Cell] | None = None


def _title(event: Event, language: str) -> str:
    return event.display_title(language)


def _when(event: Event) -> str:
    return format_date_range(event.start_date, event.end_date, event.date_precision)


def _events_of(year: int) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(
                extract("year", Event.start_date) == year,
                Event.status != EventStatus.cancelled,
            )
            .order_by(Event.start_date, Event.id)
        )
    )


def seminars_table(year: int, language: str, names: dict[str, str]) -> ReportTable:
    """Seminars and initiatives carried out in the year, and those planned for the next."""
    table = ReportTable(
        key="seminars",
        title=_(
            "Seminars and initiatives carried out (%(year)s) and planned (%(next)s)",
            year=year,
            next=year + 1,
        ),
        columns=[_("Status"), _("Dates"), _("Event"), _("Kind"), _("City"), _("Country")],
    )
    for event in [*_events_of(year), *_events_of(year + 1)]:
        carried_out = event.status == EventStatus.held
        table.rows.append(
            [
                _("Carried out") if carried_out else _("Planned"),
                _when(event),
                _title(event, language),
                str(KIND_LABELS.get(event.kind, event.kind)),
                event.display_city(language) or "",
                names.get(event.country_code or "", event.country_code or ""),
            ]
        )
    held = sum(1 for row in table.rows if row[0] == _("Carried out"))
    table.footer = [
        _(
            "Carried out: %(held)s · planned: %(planned)s",
            held=held,
            planned=len(table.rows) - held,
        ),
        "",
        "",
        "",
        "",
        "",
    ]
    return table


def _countries_per_event(event_ids: list[int]) -> dict[int, int]:
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, func.count(distinct(Person.country_code)))
        .select_from(Attendance)
        .join(Registration, Attendance.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id.in_(event_ids))
        .group_by(Registration.event_id)
    ).all()
    return dict(rows)


def lemkin_table(year: int, language: str) -> ReportTable:
    """Participants and instructors of the Raphael Lemkin Seminars held in the year."""
    table = ReportTable(
        key="lemkin",
        title=_(
            "Participants and instructors of the Raphael Lemkin Seminars (%(year)s)", year=year
        ),
        columns=[
            _("Seminar"),
            _("Cycle"),
            _("Part"),
            _("Dates"),
            _("Participants"),
            _("Instructors"),
            _("Countries"),
        ],
    )
    events = [
        e
        for e in _events_of(year)
        if e.kind == EventKind.lemkin_seminar and e.status == EventStatus.held
    ]
    countries = _countries_per_event([e.id for e in events])
    cycles = {c.id: c.number for c in db.session.scalars(select(Cycle))}
    sums = [0, 0]
    for event in events:
        counted = total(TotalDimension.event, year, str(event.id))
        participants = counted.participants if counted else 0
        instructors = counted.instructors if counted else 0
        sums[0] += participants
        sums[1] += instructors
        table.rows.append(
            [
                _title(event, language),
                cycles.get(event.cycle_id, "") if event.cycle_id else "",
                event.part_number or "",
                _when(event),
                participants,
                instructors,
                countries.get(event.id, 0),
            ]
        )
    table.footer = [_("Total"), "", "", "", sums[0], sums[1], ""]
    return table


def countries_table(year: int, names: dict[str, str]) -> ReportTable:
    """Everyone who took part in the year's seminars and training events, by country."""
    table = ReportTable(
        key="countries",
        title=_(
            "Total participants of seminars and training events by country (%(year)s)", year=year
        ),
        columns=[_("Country"), _("Participants"), _("Instructors"), _("People"), _("Person-days")],
    )
    rows = totals_by(TotalDimension.country, year)
    rows.sort(key=lambda t: (-t.people, names.get(t.key, t.key)))
    for row in rows:
        label = names.get(row.key, row.key) if row.key else _("Country not given")
        table.rows.append([label, row.participants, row.instructors, row.people, row.person_days])
    overall = total(TotalDimension.year, year, str(year))
    if overall:
        table.footer = [
            _("Total (each person once)"),
            overall.participants,
            overall.instructors,
            overall.people,
            overall.person_days,
        ]
    return table


def annual_report(year: int, language: str) -> list[ReportTable]:
    names = country_names(language)
    return [
        seminars_table(year, language, names),
        lemkin_table(year, language),
        countries_table(year, names),
    ]


# --- files -----------------------------------------------------------------------------------


def to_csv(tables: list[ReportTable]) -> bytes:
    """One file, the tables one after the other, each under its title; BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        if table.footer:
            writer.writerow(table.footer)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(tables: list[ReportTable], sheet_names: list[str] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, table in enumerate(tables):
        name = (sheet_names[index] if sheet_names else table.key)[:31]
        sheet = workbook.create_sheet(name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        if table.footer:
            sheet.append(table.footer)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for column in sheet.columns:
            width = max((len(str(c.value or "")) for c in column[1:]), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _register_pdf_font() -> str:
    """DejaVu Sans, registered once for every PDF (lanet/core/fonts.py): the standard
    Helvetica has no ś, ę or ł ("Oświęcim" printed as ■)."""
    from lanet.core.fonts import register_pdf_fonts

    return register_pdf_fonts()[0]


def to_pdf(tables: list[ReportTable], title: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_pdf_font()
    sample = getSampleStyleSheet()
    styles = {
        name: sample[name].clone(f"lanet-{name}", fontName=font)
        for name in ("Title", "Heading2", "BodyText")
    }
    cell_style = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=title,
        author="LANET",
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
    )
    story: list = [Paragraph(_escape(title), styles["Title"])]
    for table in tables:
        story.append(Paragraph(table.title, styles["Heading2"]))
        data = [[Paragraph(f"<b>{_escape(c)}</b>", cell_style) for c in table.columns]]
        data += [[Paragraph(_escape(c), cell_style) for c in row] for row in table.rows]
        if table.footer:
            data.append([Paragraph(f"<b>{_escape(c)}</b>", cell_style) for c in table.footer])
        grid = Table(data, repeatRows=1, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f1ec")),
                    ("LINEBELOW", (0, 0), (-1, 0), 1, colors.HexColor("#8a1c1c")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9c4b8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [grid, Spacer(1, 0.6 * cm)]
    document.build(story)
    return buffer.getvalue()


def _escape(value: Cell) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report_years() -> list[int]:
    """Years with events, newest first: the report can be made for any of them."""
    year = extract("year", Event.start_date)
    found = db.session.scalars(select(year).distinct().order_by(year.desc())).all()
    return [int(y) for y in found] or [date.today().year]
