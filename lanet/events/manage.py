"""The events workspace (/manage/events): list, create, copy, edit, move, cancel, open and
close registration, organizers; series and cycles. Thin: parse, call the service, render."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from lanet.accounts.decorators import permission_required
from lanet.accounts.models import User
from lanet.accounts.permissions import Action, is_staff
from lanet.core.boundary import parse_int
from lanet.core.i18n import current_language
from lanet.core.signals import collect_completions, collect_counts
from lanet.events import editing, forms, lifecycle, workspace
from lanet.events import series as series_service
from lanet.events.access import event_for, event_required
from lanet.events.models import Cycle, Event, EventStatus, Series
from lanet.events.validation import EventInput, EventInvalid, proposed_timezone
from lanet.events.views import bp
from lanet.extensions import db
from lanet.network.models import Country, Institution


def _countries() -> list[Country]:
    return list(db.session.scalars(select(Country).order_by(Country.name_en)))


def _member_countries() -> list[Country]:
    countries = _countries()
    members = [c for c in countries if c.membership == "member"]
    return members or countries


def _with_choices(form: forms.EventForm, user: User) -> forms.EventForm:
    language = current_language()
    form.kind.choices = forms.kind_choices()
    form.attendance_mode.choices = forms.mode_choices()
    form.country_code.choices = [("", "—")] + [(c.code, c.name(language)) for c in _countries()]
    allowed_series = None if is_staff(user) else workspace.series_organized_by(user)
    cycles = [("", _("No series"))] if allowed_series is None else []
    for series in workspace.all_series():
        if allowed_series is not None and series.id not in allowed_series:
            continue
        for cycle in series.cycles:
            label = _("%(series)s – cycle %(n)s", series=series.name(language), n=cycle.number)
            cycles.append((str(cycle.id), label))
    form.cycle_id.choices = cycles
    form.supporters.choices = [
        (i.id, i.name)
        for i in db.session.scalars(
            select(Institution)
            .where(
                Institution.kind.in_(("international_organization", "civil_society", "academia"))
            )
            .order_by(Institution.name)
        )
    ]
    form.organizers.choices = [
        (u.id, f"{u.person.full_name} <{u.email}>")
        for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email))
    ]
    return form


def _timezone_map() -> dict[str, str]:
    return {c.code: proposed_timezone(c.code) or "" for c in _countries()}


def _render_form(form, *, event=None, source=None, quotas=None, quota_error=None, status=200):
    return (
        render_template(
            "events/manage/form.html",
            form=form,
            event=event,
            source=source,
            quotas=quotas or {},
            quota_error=quota_error,
            member_countries=_member_countries(),
            timezone_map=_timezone_map(),
            language=current_language(),
        ),
        status,
    )


# --- the workspace ---------------------------------------------------------------------------


@bp.get("/manage/events")
@permission_required(Action.view_workspace)
def workspace_list():
    filters = workspace.WorkspaceFilter.from_args(request.args)
    events = workspace.visible_events(current_user, filters)
    return render_template(
        "events/manage/list.html",
        rows=workspace.rows(events, current_user),
        filters=filters,
        choices=workspace.filter_choices(),
        countries=_countries(),
        may_create=workspace.may_create(current_user),
        staff=is_staff(current_user),
        language=current_language(),
    )


# --- create and copy -------------------------------------------------------------------------


@bp.route("/manage/events/new", methods=["GET", "POST"])
@permission_required(Action.view_workspace)
def create():
    if not workspace.may_create(current_user):
        abort(403)
    form = _with_choices(forms.EventForm(), current_user)
    source = None
    copy_slug = request.args.get("copy") or form.copy_from.data
    if copy_slug:
        source = event_for(copy_slug, Action.manage_event)
    quotas: dict[str, int] = {}
    if request.method == "GET":
        _prefill(form, source, quotas)
        return _render_form(form, source=source, quotas=quotas)
    member_codes = [c.code for c in _countries()]
    quotas, bad_row = forms.parse_quotas(request.form, member_codes)
    if not form.validate() or bad_row:
        return _render_form(
            form, source=source, quotas=_raw_quotas(), quota_error=bad_row, status=422
        )
    data = form.to_input(quotas, proposed_timezone(form.country_code.data))
    if not workspace.may_create(current_user, data.cycle_id):
        form.cycle_id.errors = [_("You may add events only to a series you organize.")]
        return _render_form(form, source=source, quotas=_raw_quotas(), status=422)
    organizer_ids = list(form.organizers.data or [])
    if not is_staff(current_user) and current_user.id not in organizer_ids:
        organizer_ids.append(current_user.id)
    try:
        if source is not None:
            event = editing.create_event(
                data, user_id=current_user.id, organizer_ids=organizer_ids, copied_from=source
            )
        else:
            event = editing.create_event(data, user_id=current_user.id, organizer_ids=organizer_ids)
    except EventInvalid as refused:
        form.show_errors(refused.errors)
        return _render_form(
            form, source=source, quotas=_raw_quotas(), quota_error=_quota_error(refused), status=422
        )
    flash(_("The event was created. It is planned: open its registration when ready."), "success")
    return redirect(url_for("events.manage_event", slug=event.slug))


def _prefill(form: forms.EventForm, source: Event | None, quotas: dict[str, int]) -> None:
    cycle_id = request.args.get("cycle", type=int)
    if source is not None:
        start = request.args.get("start")
        from datetime import date

        try:
            new_start = date.fromisoformat(start) if start else None
        except ValueError:
            new_start = None
        new_start = new_start or source.start_date + timedelta(days=365)
        data = editing.copy_input(source, new_start, slug=f"{source.slug}-copy")
        form.fill_from(data, quotas)
        form.copy_from.data = source.slug
    if cycle_id:
        cycle = db.session.get(Cycle, cycle_id) if 0 < cycle_id < 2**31 else None
        if cycle is not None:
            form.cycle_id.data = cycle.id
            free = series_service.free_parts(cycle)
            form.part_number.data = free[0] if free else None
    if not form.timezone.data:
        form.timezone.data = ""


def _raw_quotas() -> dict[str, str]:
    return {
        key.removeprefix("quota-"): value
        for key, value in request.form.items()
        if key.startswith("quota-")
    }


def _quota_error(refused: EventInvalid) -> str | None:
    message = refused.errors.get("quotas")
    return str(message) if message else None


# --- one event -------------------------------------------------------------------------------


@bp.get("/manage/events/<slug>")
@event_required(Action.manage_event)
def manage_event(slug: str, event: Event):
    counts = collect_counts([event.id])[event.id]
    step, endpoint = workspace.next_step(event, counts, lifecycle.utcnow())
    return render_template(
        "events/manage/event.html",
        event=event,
        counts=counts,
        next_step=step,
        step_endpoint=endpoint,
        organizers=editing.organizers_of(event.id),
        status_form=forms.StatusForm(),
        started=lifecycle.has_started(event),
        language=current_language(),
    )


@bp.route("/manage/events/<slug>/edit", methods=["GET", "POST"])
@event_required(Action.manage_event)
def edit(slug: str, event: Event):
    form = _with_choices(forms.EventForm(), current_user)
    if not is_staff(current_user):
        # The cycle of an event is the Secretariat's choice; organizers keep it as it is.
        form.cycle_id.choices = [(str(event.cycle_id), "")] if event.cycle_id else [("", "")]
    if request.method == "GET":
        quotas: dict[str, int] = {}
        form.fill_from(EventInput.from_event(event), quotas)
        return _render_form(form, event=event, quotas=quotas)
    quotas, bad_row = forms.parse_quotas(request.form, [c.code for c in _countries()])
    if not form.validate() or bad_row:
        return _render_form(
            form, event=event, quotas=_raw_quotas(), quota_error=bad_row, status=422
        )
    data = form.to_input(quotas, proposed_timezone(form.country_code.data))
    if not is_staff(current_user):
        data.cycle_id, data.part_number = event.cycle_id, event.part_number
    try:
        editing.update_event(event.id, data, user_id=current_user.id)
    except EventInvalid as refused:
        form.show_errors(refused.errors)
        return _render_form(
            form, event=event, quotas=_raw_quotas(), quota_error=_quota_error(refused), status=422
        )
    flash(_("The event was saved."), "success")
    return redirect(url_for("events.manage_event", slug=event.slug))


@bp.post("/manage/events/<slug>/status")
@event_required(Action.manage_event)
def change_status(slug: str, event: Event):
    form = forms.StatusForm()
    actions = {
        "open": lifecycle.open_registration,
        "close": lifecycle.close_registration,
        "held": lifecycle.mark_held,
    }
    if not form.validate_on_submit() or form.action.data not in actions:
        flash(_("Choose what to do."), "error")
        return redirect(url_for("events.manage_event", slug=slug))
    try:
        actions[form.action.data](event.id, user_id=current_user.id)
    except EventInvalid as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("events.manage_event", slug=slug))
    messages = {
        "open": _("Registration is open."),
        "close": _("Registration is closed."),
        "held": _("The event is recorded as held."),
    }
    flash(messages[form.action.data], "success")
    return redirect(url_for("events.manage_event", slug=slug))


@bp.route("/manage/events/<slug>/move", methods=["GET", "POST"])
@event_required(Action.manage_event)
def move(slug: str, event: Event):
    form = forms.MoveForm()
    counts = collect_counts([event.id])[event.id]
    if request.method == "GET":
        data = EventInput.from_event(event)
        form.start_date.data, form.end_date.data = data.start_date, data.end_date
        form.start_time.data, form.end_time.data = data.start_time, data.end_time
    confirming = False
    if form.validate_on_submit():
        if form.confirm.data == "1":
            try:
                lifecycle.move(
                    event.id,
                    form.start_date.data,
                    form.end_date.data,
                    form.start_time.data,
                    form.end_time.data,
                    user_id=current_user.id,
                )
            except EventInvalid as refused:
                _field_errors(form, refused, "start_date")
            else:
                flash(
                    ngettext(
                        "The event was moved; %(num)s person is being told.",
                        "The event was moved; %(num)s people are being told.",
                        counts.get("to_notify", 0),
                    ),
                    "success",
                )
                return redirect(url_for("events.manage_event", slug=slug))
        else:
            confirming = _move_is_valid(form)
    status = 422 if request.method == "POST" and not confirming and form.errors else 200
    return (
        render_template(
            "events/manage/move.html",
            event=event,
            form=form,
            counts=counts,
            confirming=confirming,
            language=current_language(),
        ),
        status,
    )


def _move_is_valid(form: forms.MoveForm) -> bool:
    if form.end_date.data < form.start_date.data:
        form.end_date.errors = [_("The end must not be before the start.")]
        return False
    if (form.start_time.data is None) != (form.end_time.data is None):
        form.end_time.errors = [_("Give both a start and an end time, or neither.")]
        return False
    return True


def _field_errors(form, refused: EventInvalid, fallback: str) -> None:
    for name, message in refused.errors.items():
        field = getattr(form, name, None) or getattr(form, fallback)
        field.errors = [*list(field.errors or []), str(message)]


@bp.route("/manage/events/<slug>/cancel", methods=["GET", "POST"])
@event_required(Action.manage_event)
def cancel(slug: str, event: Event):
    form = forms.CancelForm()
    counts = collect_counts([event.id])[event.id]
    confirming = False
    if event.status == EventStatus.cancelled:
        flash(_("This event is already cancelled."), "error")
        return redirect(url_for("events.manage_event", slug=slug))
    if form.validate_on_submit():
        if not form.reasons():
            form.reason_es.errors = [_("Give the reason, in at least one language.")]
        elif form.confirm.data == "1":
            try:
                lifecycle.cancel(event.id, form.reasons(), user_id=current_user.id)
            except EventInvalid as refused:
                _field_errors(form, refused, "reason_es")
            else:
                flash(
                    ngettext(
                        "The event was cancelled; %(num)s person is being told.",
                        "The event was cancelled; %(num)s people are being told.",
                        counts.get("to_notify", 0),
                    ),
                    "success",
                )
                return redirect(url_for("events.manage_event", slug=slug))
        else:
            confirming = True
    status = 422 if request.method == "POST" and not confirming and form.errors else 200
    return (
        render_template(
            "events/manage/cancel.html",
            event=event,
            form=form,
            counts=counts,
            confirming=confirming,
            language=current_language(),
        ),
        status,
    )


# --- organizers ------------------------------------------------------------------------------


@bp.route("/manage/events/<slug>/organizers", methods=["GET", "POST"])
@event_required(Action.manage_event)
def organizers(slug: str, event: Event):
    form = forms.OrganizerForm()
    current = editing.organizers_of(event.id)
    form.user_id.choices = [("", "—")] + [
        (str(u.id), f"{u.person.full_name} <{u.email}>")
        for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email))
        if u not in current
    ]
    if request.method == "POST" and request.form.get("remove"):
        removed = parse_int(request.form.get("remove"), minimum=1)
        if removed and editing.remove_organizer(event.id, removed):
            flash(_("The organizer was removed."), "success")
        return redirect(url_for("events.organizers", slug=slug))
    if form.validate_on_submit():
        try:
            if form.user_id.data:
                editing.add_organizer(event.id, form.user_id.data)
            elif form.email.data:
                editing.invite_organizer(
                    event.id,
                    form.email.data,
                    form.first_name.data or "",
                    form.last_name.data or "",
                    form.language.data,
                )
            else:
                form.user_id.errors = [_("Choose a user or give an email address.")]
                raise _Refused
        except _Refused:
            pass
        except EventInvalid as refused:
            form.user_id.errors = [str(refused.message)]
        except ValueError as refused:  # the accounts service's field errors
            field = getattr(form, getattr(refused, "field", "") or "email", form.email)
            field.errors = [str(getattr(refused, "message", refused))]
        else:
            flash(_("The organizer was added."), "success")
            return redirect(url_for("events.organizers", slug=slug))
    return render_template(
        "events/manage/organizers.html",
        event=event,
        form=form,
        organizers=current,
        language=current_language(),
    ), (422 if request.method == "POST" else 200)


class _Refused(Exception):
    pass


# --- series and cycles -----------------------------------------------------------------------


@bp.route("/manage/series/new", methods=["GET", "POST"])
@permission_required(Action.create_event)
def create_series():
    form = forms.SeriesForm()
    if form.validate_on_submit():
        try:
            created = series_service.create_series(
                form.code.data,
                {
                    "es": form.name_es.data or "",
                    "pt": form.name_pt.data or "",
                    "en": form.name_en.data or "",
                },
                form.parts_per_cycle.data,
                form.description.data,
                user_id=current_user.id,
            )
        except EventInvalid as refused:
            for name, message in refused.errors.items():
                field = getattr(form, "name_en" if name == "names" else name, form.code)
                field.errors = [*list(field.errors or []), str(message)]
        else:
            flash(_("The series was created."), "success")
            return redirect(url_for("events.series_page", code=created.code))
    status = 422 if request.method == "POST" else 200
    return render_template("events/manage/series_form.html", form=form), status


def _series(code: str) -> Series | None:
    return series_service.series_by_code(code)


@bp.post("/manage/series/<code>/cycles")
@permission_required(Action.create_event, obj_from=_series)
def open_cycle(code: str):
    found = _series(code)
    if not forms.StatusForm().validate_on_submit():
        abort(400)
    cycle = series_service.open_next_cycle(found.id, user_id=current_user.id)
    flash(_("Cycle %(n)s is open: add its parts.", n=cycle.number), "success")
    return redirect(url_for("events.series_page", code=code))


@bp.get("/series/<code>")
def series_page(code: str):
    """Public: the series' cycles, their parts and dates; for staff, who completed each."""
    found = _series(code)
    if found is None:
        abort(404)
    staff = getattr(current_user, "is_authenticated", False) and is_staff(current_user)
    completions = collect_completions([c.id for c in found.cycles]) if staff else {}
    return render_template(
        "events/series.html",
        series=found,
        staff=staff,
        completions=completions,
        may_create=getattr(current_user, "is_authenticated", False)
        and workspace.may_create(current_user),
        status_form=forms.StatusForm(),
        language=current_language(),
    )
