"""Pages of attendance: check-in, badges, sheet import, the staff dashboard, the annual report
and the focal point's totals. Thin: parse, call the service or a query, render."""

from __future__ import annotations

import base64
from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from lanet.accounts.decorators import permission_required
from lanet.accounts.permissions import Action, focal_point_countries, is_staff
from lanet.attendance import badges, codes, queries, report, service, summaries, totals
from lanet.attendance.forms import (
    FREQUENCY_LABELS,
    CheckInForm,
    DayForm,
    ImportForm,
    ManualCheckInForm,
    SendSummaryForm,
    SubscriptionForm,
)
from lanet.attendance.labels import DIMENSION_LABELS, label
from lanet.attendance.models import ALL_YEARS, TotalDimension
from lanet.core.boundary import parse_int
from lanet.core.i18n import current_language
from lanet.core.web import format_date_range
from lanet.events.access import event_required
from lanet.events.models import Cycle, Event
from lanet.extensions import db
from lanet.registration.models import Registration, RegistrationStatus
from lanet.registration.queries import by_link

bp = Blueprint("attendance", __name__)

REPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@bp.app_template_filter("iso_date")
def iso_date(value: str) -> str:
    """An ISO date from a JSON context (emails), shown in the active language."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_date_range(day, day)


@bp.app_context_processor
def _navigation() -> dict:
    def attendance_nav() -> str | None:
        """The totals a signed-in user may see: the Network's, or their country's."""
        if not current_user.is_authenticated:
            return None
        if is_staff(current_user):
            return url_for("attendance.dashboard")
        if focal_point_countries(current_user):
            return url_for("attendance.focal_point_totals")
        return None

    return {"attendance_nav": attendance_nav}


def _day_choices(event: Event) -> list[tuple[str, str]]:
    """The days offered: those with agenda items, or the event's days (`service.event_days`)."""
    return [(d.isoformat(), format_date_range(d, d)) for d in service.event_days(event)]


def _valid_days(event: Event) -> list[tuple[str, str]]:
    """Every day of the event may be posted (a day without agenda items, reached by address)."""
    count = (event.end_date - event.start_date).days + 1
    days = [event.start_date + timedelta(days=n) for n in range(count)]
    return [(d.isoformat(), d.isoformat()) for d in days]


def _chosen_day(event: Event, value: str | None) -> date:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return service.default_day(event)
    return day if event.start_date <= day <= event.end_date else service.default_day(event)


# --- check-in --------------------------------------------------------------------------------


def _check_in_page(event: Event, form: CheckInForm, day: date, status: int = 200):
    search = request.args.get("q", "").strip()[:100]
    manual = ManualCheckInForm()
    manual.day.choices = _valid_days(event)
    manual.day.data = day.isoformat()
    days = _day_choices(event)
    if day.isoformat() not in {value for value, _label in days}:
        # A day of the event without agenda items, asked for by its address: still shown.
        days = sorted([*days, (day.isoformat(), format_date_range(day, day))])
    day_form = DayForm(formdata=None, day=day.isoformat())
    day_form.day.choices = days
    return (
        render_template(
            "attendance/check_in.html",
            event=event,
            day_form=day_form,
            form=form,
            manual=manual,
            day=day,
            search=search,
            matches=queries.search_registrations(event.id, search, day) if search else [],
            check_ins=queries.check_ins(event.id, day),
            count=service.checked_in_count(event.id, day),
            confirmed=queries.confirmed_count(event.id),
        ),
        status,
    )


@bp.route("/manage/events/<slug>/check-in", methods=["GET", "POST"])
@event_required(Action.check_in)
def check_in(slug: str, event: Event):
    form = CheckInForm()
    form.day.choices = _valid_days(event)
    day = _chosen_day(event, request.values.get("day"))
    if request.method == "GET":
        form.day.data = day.isoformat()
        return _check_in_page(event, form, day)
    if not form.validate():
        return _check_in_page(event, form, day, 422)
    try:
        result = service.check_in_by_code(
            event.id,
            form.code.data,
            date.fromisoformat(form.day.data),
            nonce=form.nonce.data or None,
            user_id=current_user.id,
        )
    except service.CheckInError as error:
        form.code.errors.append(str(error.message))
        return _check_in_page(event, form, day, 422)
    flash(_message(result), "warning" if result.already else "success")
    return redirect(url_for(".check_in", slug=slug, day=day.isoformat()))


def _message(result: service.CheckIn) -> str:
    name = result.registration.person.full_name
    if result.already:
        return _("%(name)s was already checked in that day.", name=name)
    return _("%(name)s is checked in.", name=name)


@bp.route("/manage/events/<slug>/check-in/scan", methods=["POST"])
@event_required(Action.check_in)
def scan(slug: str, event: Event):
    """The check-in page's script posts here; a scan kept offline is posted again later."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(status="error", message=_("The scan could not be read.")), 400
    code = str(data.get("code") or "")[:80]
    nonce = str(data.get("nonce") or "")[:64] or None
    try:
        day = date.fromisoformat(str(data.get("day") or ""))
    except ValueError:
        return jsonify(status="error", message=_("That day is not a day of this event.")), 422
    try:
        result = service.check_in_by_code(event.id, code, day, nonce=nonce, user_id=current_user.id)
    except service.CheckInError as error:
        return jsonify(status="error", code=code, message=str(error.message)), 422
    return jsonify(
        status="already" if result.already else "recorded",
        code=code,
        nonce=nonce,
        name=result.registration.person.full_name,
        attendance_id=result.attendance.id,
        day=day.isoformat(),
        message=_message(result),
        count=service.checked_in_count(event.id, day),
    )


@bp.route("/manage/events/<slug>/check-in/manual", methods=["POST"])
@event_required(Action.check_in)
def check_in_manual(slug: str, event: Event):
    form = ManualCheckInForm()
    form.day.choices = _valid_days(event)
    day = _chosen_day(event, form.day.data)
    registration_id = parse_int(form.registration_id.data, minimum=1)
    if not form.validate() or registration_id is None:
        flash(_("Choose a person and a day of the event."), "error")
        return redirect(url_for(".check_in", slug=slug, day=day.isoformat()))
    try:
        result = service.check_in_registration(
            event.id, registration_id, day, user_id=current_user.id
        )
    except service.CheckInError as error:
        flash(str(error.message), "error")
    else:
        flash(_message(result), "warning" if result.already else "success")
    return redirect(url_for(".check_in", slug=slug, day=day.isoformat()))


@bp.route("/manage/events/<slug>/check-in/<int:attendance_id>/undo", methods=["POST"])
@event_required(Action.check_in)
def undo(slug: str, attendance_id: int, event: Event):
    day = _chosen_day(event, request.form.get("day"))
    try:
        attendance = service.undo_check_in(event.id, attendance_id, user_id=current_user.id)
    except service.CheckInError as error:
        flash(str(error.message), "error")
    else:
        name = attendance.registration.person.full_name
        flash(_("The check-in of %(name)s was undone.", name=name), "success")
    return redirect(url_for(".check_in", slug=slug, day=day.isoformat()))


@bp.route("/manage/events/<slug>/check-in/import", methods=["GET", "POST"])
@event_required(Action.check_in)
def import_sheet(slug: str, event: Event):
    form = ImportForm()
    errors: list[service.RowError] = []
    if form.validate_on_submit():
        upload = form.sheet.data
        try:
            result = service.import_sign_in_sheet(
                event.id, upload.filename or "", upload.read(), user_id=current_user.id
            )
        except service.ImportRejected as rejected:
            errors = rejected.errors
        else:
            flash(
                _(
                    "%(recorded)s check-ins recorded; %(already)s were already recorded.",
                    recorded=result.recorded,
                    already=result.already,
                ),
                "success",
            )
            return redirect(url_for(".check_in", slug=slug))
    status = 422 if (errors or form.errors) else 200
    return render_template("attendance/import.html", event=event, form=form, errors=errors), status


@bp.route("/manage/events/<slug>/badges")
@event_required(Action.check_in)
def badge_sheet(slug: str, event: Event):
    registrations = queries.confirmed_registrations(event.id)
    return render_template(
        "attendance/badges.html",
        check_in_code=codes.check_in_code,
        event=event,
        badges=[(r, badges.qr_data_uri(r)) for r in registrations],
    )


def _confirmed_by_token(token: str) -> Registration | None:
    registration = by_link(Registration, token)
    if registration is None or registration.status != RegistrationStatus.confirmed:
        return None
    return registration


@bp.app_template_global("badge_qr")
def badge_qr(manage_url: str) -> str:
    """For the confirmation email: the QR code of the registration behind a private link,
    as a data: PNG; empty when the registration is no longer confirmed."""
    token = str(manage_url or "").rsplit("/r/", 1)[-1].split("/", 1)[0]
    registration = _confirmed_by_token(token) if token else None
    if registration is None:
        return ""
    return "data:image/png;base64," + base64.b64encode(badges.qr_png(registration)).decode()


@bp.route("/r/<token>/badge")
def own_badge(token: str):
    """The badge reached from the private link: the manage token opens it, the QR is safe."""
    registration = _confirmed_by_token(token)
    if registration is None:
        abort(404)
    return render_template(
        "attendance/badges.html",
        check_in_code=codes.check_in_code,
        event=registration.event,
        badges=[(registration, badges.qr_data_uri(registration))],
        single=True,
    )


# --- staff: dashboard and the annual report --------------------------------------------------


def _year_arg(default: int) -> int:
    value = request.args.get("year", "")
    year = parse_int(value, minimum=1000, maximum=9999)
    return default if year is None else year


def _dashboard_years() -> list[int]:
    return sorted({t.year for t in queries.years()} | set(report.report_years()), reverse=True)


@bp.route("/staff/totals")
@permission_required(Action.view_totals)
def dashboard(send_form: SendSummaryForm | None = None):
    compiled_at = totals.ensure_fresh()
    years = _dashboard_years()
    year = _year_arg(ALL_YEARS)
    names = queries.country_names(current_language())
    countries = sorted(
        queries.totals_by(TotalDimension.country, year), key=lambda t: (-t.people, t.key)
    )
    breakdowns = {
        dimension: [(label(dimension, t.key), t) for t in queries.totals_by(dimension, year)]
        for dimension in DIMENSION_LABELS
    }
    cycles = {c.id: c for c in db.session.scalars(select(Cycle))}
    completion = [
        (cycles.get(int(t.key)), t, queries.total(TotalDimension.cycle, ALL_YEARS, t.key))
        for t in queries.totals_by(TotalDimension.cycle_completion, ALL_YEARS)
    ]
    overall_key = "all" if year == ALL_YEARS else str(year)
    form = SubscriptionForm(
        frequencies=sorted(summaries.subscriptions_of(current_user.id)), formdata=None
    )
    return render_template(
        "attendance/dashboard.html",
        send_form=send_form or SendSummaryForm(formdata=None),
        summary_events=_summary_events(),
        year=year,
        years=years,
        overall=queries.total(TotalDimension.year, year, overall_key),
        history=queries.years(),
        countries=[(names.get(t.key) or t.key or _("Country not given"), t) for t in countries],
        breakdowns=breakdowns,
        dimension_labels=DIMENSION_LABELS,
        completion=completion,
        compiled_at=compiled_at,
        form=form,
        frequency_labels=FREQUENCY_LABELS,
    )


def _summary_events() -> list[Event]:
    """Events a summary can be sent for: those that have begun, newest first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.start_date <= date.today(), Event.status != "cancelled")
            .order_by(Event.start_date.desc(), Event.id.desc())
        )
    )


@bp.route("/staff/totals/send", methods=["POST"])
@permission_required(Action.view_totals)
def send_summary():
    form = SendSummaryForm()
    if not form.validate():
        return dashboard(send_form=form), 422
    event_id = None
    if "send_event" in request.form:
        slug = (form.event.data or "").strip()
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug)) if slug else None
        if event_id is None:
            form.event.errors = [_("Choose an event from the list.")]
            return dashboard(send_form=form), 422
    try:
        sent = summaries.send_now(
            current_user.id,
            event_id=event_id,
            start=form.start.data,
            end=form.end.data,
            to_subscribers=bool(form.to_subscribers.data),
        )
    except summaries.SummaryRequestError as error:
        db.session.rollback()
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [error.message]
        else:
            form.form_errors.append(error.message)
        return dashboard(send_form=form), 422
    flash(
        ngettext(
            "The summary is on its way to %(num)s recipient.",
            "The summary is on its way to %(num)s recipients.",
            sent,
        ),
        "success",
    )
    return redirect(url_for(".dashboard"))


@bp.route("/staff/totals/compile", methods=["POST"])
@permission_required(Action.view_totals)
def compile_now():
    totals.compile_totals()
    flash(_("The totals were compiled again."), "success")
    return redirect(url_for(".dashboard", year=request.form.get("year") or None))


@bp.route("/staff/totals/subscriptions", methods=["POST"])
@permission_required(Action.view_totals)
def subscriptions():
    form = SubscriptionForm()
    if not form.validate():
        flash(_("Choose among the offered frequencies."), "error")
        return redirect(url_for(".dashboard")), 303
    summaries.set_subscriptions(current_user.id, set(form.frequencies.data or []))
    flash(_("Your summary subscriptions are saved."), "success")
    return redirect(url_for(".dashboard"))


def _png(content: bytes) -> Response:
    response = Response(content, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.route("/staff/totals/countries.png")
@permission_required(Action.view_totals)
def chart_countries():
    from lanet.attendance import charts

    totals.ensure_fresh()
    year = _year_arg(ALL_YEARS)
    names = queries.country_names(current_language())
    rows = sorted(queries.totals_by(TotalDimension.country, year), key=lambda t: (-t.people, t.key))
    return _png(
        charts.bar_by_country(
            [names.get(t.key) or t.key or "?" for t in rows],
            [t.participants for t in rows],
            [t.instructors for t in rows],
            title=_("Participants by country"),
            participants_label=_("Participants"),
            instructors_label=_("Instructors"),
        )
    )


@bp.route("/staff/totals/years.png")
@permission_required(Action.view_totals)
def chart_years():
    from lanet.attendance import charts

    totals.ensure_fresh()
    history = queries.years()
    return _png(
        charts.line_by_year(
            [t.year for t in history],
            [t.participants for t in history],
            [t.instructors for t in history],
            title=_("Participants across years"),
            participants_label=_("Participants"),
            instructors_label=_("Instructors"),
        )
    )


@bp.route("/staff/reports")
@permission_required(Action.view_totals)
def report_index():
    return redirect(url_for(".annual_report", year=report.report_years()[0]))


def _report_year(year: int) -> int:
    if not 1900 <= year <= 2999:
        abort(404)
    return year


@bp.route("/staff/reports/<int:year>")
@permission_required(Action.view_totals)
def annual_report(year: int):
    year = _report_year(year)
    compiled_at = totals.ensure_fresh()
    return render_template(
        "attendance/report.html",
        compiled_at=compiled_at,
        year=year,
        years=report.report_years(),
        tables=report.annual_report(year, current_language()),
        formats=list(REPORT_TYPES),
    )


@bp.route("/staff/reports/<int:year>.<any(csv, xlsx, pdf):fmt>")
@permission_required(Action.view_totals)
def annual_report_file(year: int, fmt: str):
    year = _report_year(year)
    totals.ensure_fresh()
    tables = report.annual_report(year, current_language())
    if fmt == "csv":
        content = report.to_csv(tables)
    elif fmt == "xlsx":
        content = report.to_xlsx(tables)
    else:
        content = report.to_pdf(tables, _("LANET annual report tables %(year)s", year=year))
    # content_type, not mimetype: Flask adds "; charset=utf-8" to a text/* mimetype itself.
    response = Response(content, content_type=REPORT_TYPES[fmt])
    filename = f"lanet-report-{year}-{current_language()}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- focal points ----------------------------------------------------------------------------


def _focal_country(**_kwargs) -> str | None:
    """The country asked for, or a focal point's only country; staff may look at any."""
    asked = request.args.get("country", "").strip().upper()[:2]
    if asked:
        return asked
    own = sorted(focal_point_countries(current_user))
    if len(own) == 1:
        return own[0]
    # Several countries (or staff): the page offers a choice.
    return own[0] if own else ""


@bp.route("/focal-point/totals")
@permission_required(Action.view_country_totals, obj_from=_focal_country)
def focal_point_totals():
    country = _focal_country()
    compiled_at = totals.ensure_fresh()
    names = queries.country_names(current_language())
    choices = sorted(focal_point_countries(current_user))
    if is_staff(current_user):
        choices = sorted(names, key=lambda code: names[code])
    year = _year_arg(0)
    return render_template(
        "attendance/focal_point.html",
        compiled_at=compiled_at,
        country=country,
        country_name=names.get(country, country),
        choices=[(code, names.get(code, code)) for code in choices],
        by_year=queries.country_by_year(country) if country else [],
        events=queries.country_events(country, year or None) if country else [],
        year=year,
        overall=queries.total(TotalDimension.country, ALL_YEARS, country) if country else None,
    )
