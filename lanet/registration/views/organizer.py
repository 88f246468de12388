"""Organizer and focal-point pages: registrations, approval, exports, invitations, nominations."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lanet.accounts.decorators import permission_required
from lanet.accounts.permissions import Action, focal_point_countries
from lanet.core.boundary import parse_int
from lanet.core.i18n import current_language
from lanet.events import queries as event_queries
from lanet.events.access import event_for, event_required
from lanet.events.models import Event
from lanet.extensions import db
from lanet.network.models import Country
from lanet.registration import (
    errors,
    forms,
    import_jobs,
    imports,
    listing,
    queries,
    service,
    standing,
)
from lanet.registration import invitations as invitation_service
from lanet.registration import nominations as nomination_service
from lanet.registration.models import RegistrationStatus
from lanet.registration.views import bp
from lanet.registration.views.rows import heading, registration_rows

# --- Organizer pages -------------------------------------------------------------------------


# The query keys a redirect carries back: only our filters, never the client's other keys
# (a `slug` or `_external` among them would break url_for).
REGISTRATION_FILTERS = ("q", "status", "country", "institution", "page")
NOMINATION_FILTERS = ("country",)


def _kept(keys: tuple[str, ...]) -> dict[str, str]:
    return {key: request.args[key] for key in keys if key in request.args}


@bp.get("/manage/events/<slug>/registrations")
@event_required(
    Action.view_registrations,
    related=False,
    quotas=True,  # the only related rows it shows: joined to the event's statement
    read_only=True,
    # The columns the page reads (an event row is ~40 columns, five of them JSON).
    only=(
        Event.title,
        Event.title_translations,
        Event.timezone,
        Event.capacity,
        Event.seats_confirmed,
    ),
)
def registrations(slug: str, event: Event):
    filters = queries.RegistrationFilter.from_args(request.args)
    language = current_language()
    totals, choices = queries.overview(event.id)
    unfiltered = filters == queries.RegistrationFilter()
    page = listing.registrations_page(
        event.id,
        filters,
        parse_int(request.args.get("page"), minimum=1) or 1,
        # Unfiltered, the list holds every registration: the status totals counted them.
        known_total=sum(totals["status"].values()) if unfiltered else None,
    )
    return render_template(
        "registration/registrations.html",
        event=event,
        page=page,
        rows_html=registration_rows(page.rows, event.timezone),
        filters=filters,
        heading=heading(totals, choices, filters, list(RegistrationStatus), language),
        decision_form=forms.DecisionForm(),
        language=language,
    )


@bp.post("/manage/events/<slug>/registrations/decide")
@event_required(Action.approve_registrations)
def decide(slug: str, event: Event):
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long."), "error")
        return redirect(url_for("registration.registrations", slug=slug))
    ids = [i for i in map(parse_int, request.form.getlist("registration")) if i is not None]
    own = queries.registration_ids(event.id, ids)
    ids = [i for i in ids if i in own]
    action = request.form.get("action")
    if not ids:
        flash(_("Select at least one registration."), "error")
    elif action == "approve":
        result = service.approve(ids, current_user.id)
        flash(
            _(
                "%(confirmed)s confirmed, %(waitlisted)s on the waiting list.",
                confirmed=result.confirmed,
                waitlisted=result.waitlisted,
            ),
            "success" if result.confirmed or not result.not_promoted else "warning",
        )
        for registration, reason in result.not_promoted:
            flash(_not_promoted(registration, reason), "warning")
        if result.skipped:
            flash(
                _(
                    "%(count)s skipped: already confirmed, cancelled or declined.",
                    count=result.skipped,
                ),
                "warning",
            )
    elif action == "decline":
        try:
            count = service.decline(ids, form.reason.data or "", current_user.id)
        except errors.RegistrationError as error:
            flash(error.message, "error")
        else:
            flash(_("%(count)s declined.", count=count), "success")
    else:
        flash(_("Choose approve or decline."), "error")
    return redirect(url_for("registration.registrations", slug=slug, **_kept(REGISTRATION_FILTERS)))


def _not_promoted(registration, reason: str) -> str:
    """Exactly why a waitlisted person was not given a seat."""
    name = registration.person.full_name
    if reason == standing.QUOTA_FULL:
        country = registration.person.country
        return _(
            "%(name)s stays on the waiting list: the seats reserved for %(country)s are taken.",
            name=name,
            country=country.name(current_language()) if country else "",
        )
    if reason == standing.OPEN_SEATS_TAKEN:
        return _(
            "%(name)s stays on the waiting list: the seats open to every country are taken;"
            " the others are reserved for countries with a quota.",
            name=name,
        )
    return _("%(name)s stays on the waiting list: all the seats of the event are taken.", name=name)


@bp.get("/manage/events/<slug>/registrations.<fmt>")
@event_required(Action.view_registrations, read_only=True)
def export(slug: str, fmt: str, event: Event):
    rows = queries.export_rows(event.id, queries.RegistrationFilter.from_args(request.args))
    if fmt == "csv":
        body, mimetype = queries.export_csv(rows), "text/csv"
    elif fmt == "xlsx":
        body = queries.export_xlsx(rows, event.title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{slug}-registrations.{fmt}"'},
    )


def _plans(event) -> dict[str, invitation_service.Plan]:
    """Before any button is pressed: whom each group invitation and the reminder would reach,
    and whom they would leave out (already registered, declined, cancelled or invited)."""
    plans = {
        "focal-points": invitation_service.plan(
            event.id, invitation_service.focal_point_invitees(event.id)
        ),
        "remind": invitation_service.reminder_plan(event.id),
    }
    if event.cycle_id and event.part_number and event.part_number > 1:
        plans["previous-part"] = invitation_service.plan(
            event.id, invitation_service.previous_part_attendees(event.id)
        )
    return plans


def _invitations_page(event, invite_form=None, csv_form=None, status: int = 200, schedule=None):
    invitations = queries.invitations(event.id)
    return (
        render_template(
            "registration/invitations.html",
            plans=_plans(event),
            skip_labels=_skip_labels(),
            schedule_form=schedule
            or forms.ReminderScheduleForm(formdata=None, reminder_days=event.reminder_days or ""),
            event=event,
            invitations=invitations,
            state_of=queries.invitation_state,
            invite_form=invite_form or forms.InviteForm(prefix="typed"),
            csv_form=csv_form or forms.InviteCsvForm(prefix="csv"),
            confirm_form=forms.ConfirmForm(),
            jobs=import_jobs.recent_jobs(event.id),
            csv_max_rows=imports.INVITATION_MAX_ROWS,
            language=current_language(),
        ),
        status,
    )


def _flash_plan_skips(done: str, planned: invitation_service.Plan) -> None:
    labels = _skip_labels()
    why = "; ".join(
        f"{planned.count(reason)} {labels[reason]}"
        for reason in invitation_service.SKIP_REASONS
        if planned.count(reason)
    )
    flash(_("%(done)s Skipped: %(why)s.", done=done, why=why) if why else done, "success")


def _skip_labels() -> dict[str, str]:
    return {
        invitation_service.REGISTERED: _("already registered"),
        invitation_service.DECLINED: _("declined"),
        invitation_service.CANCELLED: _("cancelled their registration"),
        invitation_service.INVITED: _("already invited"),
    }


def _flash_invite_result(result: invitation_service.InviteResult) -> None:
    labels = _skip_labels()
    why = "; ".join(
        f"{len(result.skipped_by[reason])} {labels[reason]}"
        for reason in invitation_service.SKIP_REASONS
        if result.skipped_by.get(reason)
    )
    if why:
        flash(
            _("%(created)s invited; skipped: %(why)s.", created=len(result.created), why=why),
            "success",
        )
    else:
        flash(_("%(created)s invited.", created=len(result.created)), "success")


@bp.post("/manage/events/<slug>/invitations/reminder-schedule")
@event_required(Action.invite)
def reminder_schedule(slug: str, event: Event):
    form = forms.ReminderScheduleForm()
    if form.validate_on_submit():
        try:
            days = invitation_service.set_reminder_days(
                event.id, form.reminder_days.data or "", current_user.id
            )
        except errors.RegistrationError as error:
            db.session.rollback()
            form.reminder_days.errors = [error.message]
        else:
            if days:
                flash(
                    _(
                        "Reminders will go %(days)s days before registration closes.",
                        days=", ".join(str(d) for d in days),
                    ),
                    "success",
                )
            else:
                flash(_("No scheduled reminders."), "success")
            return redirect(url_for("registration.invitations", slug=slug))
    return _invitations_page(event_for(slug, Action.invite), schedule=form, status=422)


@bp.get("/manage/events/<slug>/invitations")
@event_required(Action.invite)
def invitations(slug: str, event: Event):
    return _invitations_page(event)


@bp.post("/manage/events/<slug>/invitations")
@event_required(Action.invite)
def invite_typed(slug: str, event: Event):
    form = forms.InviteForm(prefix="typed")
    if form.validate_on_submit():
        valid, invalid = imports.parse_email_list(form.emails.data)
        if invalid:
            form.emails.errors = [
                _("Not valid email addresses: %(list)s", list=", ".join(invalid[:20]))
            ]
        elif not valid:
            form.emails.errors = [_("Type at least one email address.")]
        else:
            invitees = [
                invitation_service.Invitee(email, form.language.data, row=number)
                for number, email in enumerate(valid, start=1)
            ]
            if len(invitees) > current_app.config["INVITE_INLINE_MAX"]:
                # A long list is sent by a worker, like a file: never inside the request.
                return _queued(event, invitees, "typed")
            _flash_invite_result(invitation_service.invite(event.id, invitees, current_user.id))
            return redirect(url_for("registration.invitations", slug=slug))
    return _invitations_page(event, invite_form=form, status=422)


@bp.post("/manage/events/<slug>/invitations/csv")
@event_required(Action.invite)
def invite_csv(slug: str, event: Event):
    form = forms.InviteCsvForm(prefix="csv")
    if form.validate_on_submit():
        text = _read_upload(form.file)
        if text is not None:
            try:
                invitees = imports.parse_invitation_csv(text)
            except errors.ImportRejected as error:
                return (
                    render_template(
                        "registration/import_errors.html",
                        event=event,
                        errors=error.errors,
                        back=url_for("registration.invitations", slug=slug),
                    ),
                    422,
                )
            return _queued(event, invitees, "csv")
    return _invitations_page(event, csv_form=form, status=422)


def _queued(event: Event, invitees: list[invitation_service.Invitee], source: str):
    """Stores the validated rows as a job for the workers and answers at once with the page
    that follows its progress."""
    job = import_jobs.start_invitations(event.id, invitees, current_user.id, source)
    flash(
        _("%(count)s addresses are queued; this page follows their sending.", count=job.total),
        "success",
    )
    return redirect(url_for("registration.import_job", slug=event.slug, job_id=job.id))


def _job_progress(event: Event, job_id: int) -> import_jobs.Progress:
    try:
        return import_jobs.progress(event.id, job_id)
    except import_jobs.ImportJobNotFound:
        abort(404)


@bp.get("/manage/events/<slug>/imports/<int:job_id>")
@event_required(Action.invite, read_only=True)
def import_job(slug: str, job_id: int, event: Event):
    return render_template(
        "registration/import_job.html",
        event=event,
        progress=_job_progress(event, job_id),
        skip_labels=_skip_labels(),
        language=current_language(),
    )


@bp.get("/manage/events/<slug>/imports/<int:job_id>.json")
@event_required(Action.invite, read_only=True)  # polled once a second while a send runs
def import_job_status(slug: str, job_id: int, event: Event):
    data = _job_progress(event, job_id).as_dict()
    for key in ("created_at", "started_at", "finished_at"):
        data[key] = data[key].isoformat() if data[key] else None
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/manage/events/<slug>/invitations/<source>")
@event_required(Action.invite)
def invite_group(slug: str, source: str, event: Event):
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    if source == "remind":
        planned = invitation_service.reminder_plan(event.id)
        count = invitation_service.remind_invitations(event.id, current_user.id)
        _flash_plan_skips(_("%(count)s reminders sent.", count=count), planned)
        return redirect(url_for("registration.invitations", slug=slug))
    try:
        if source == "focal-points":
            invitees = invitation_service.focal_point_invitees(event.id)
        elif source == "previous-part":
            invitees = invitation_service.previous_part_attendees(event.id)
        else:
            abort(404)
    except errors.RegistrationError as error:
        flash(error.message, "error")
        return redirect(url_for("registration.invitations", slug=slug))
    _flash_invite_result(invitation_service.invite(event.id, invitees, current_user.id))
    return redirect(url_for("registration.invitations", slug=slug))


def _read_upload(field) -> str | None:
    """The uploaded file as text; None, with the field's error set, when it is not UTF-8 text."""
    raw = field.data.read(2_000_001)
    if len(raw) > 2_000_000:
        field.errors = [_("The file is larger than 2 MB; split it into smaller files.")]
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        field.errors = [_("The file must be UTF-8 text.")]
        return None


# --- Focal points ----------------------------------------------------------------------------


def _nomination_country() -> str | None:
    """The focal point's country, or the one a staff member chose with ?country=."""
    chosen = (request.args.get("country") or "").strip().upper()
    countries = focal_point_countries(current_user)
    if chosen:
        # Unknown codes do not exist; the permission check refuses a country not theirs.
        return chosen if db.session.get(Country, chosen[:2]) and len(chosen) == 2 else None
    if countries:
        return sorted(countries)[0]
    return None


def _nomination_page(country: str, form=None, csv_form=None, status: int = 200, errors=None):
    events = queries.open_events()
    language = current_language()
    choices = [(e.id, e.display_title(language)) for e in events]
    form = form or forms.NominationForm(prefix="one", language=language)
    csv_form = csv_form or forms.NominationCsvForm(prefix="csv")
    form.event.choices = choices
    csv_form.event.choices = choices
    return (
        render_template(
            "registration/nominations.html",
            country=country,
            form=form,
            csv_form=csv_form,
            nominations=nomination_service.nominations_for_country(country),
            state_of=queries.invitation_state,
            columns=imports.NOMINATION_COLUMNS,
            import_errors=errors,
            events=events,
            country_seats=[(e, _seats_for(e, country)) for e in events],
            country_name=_country_name(country, language),
            language=language,
        ),
        status,
    )


def _seats_for(event, country: str | None):
    """The focal point's country's line of the event's seats: its quota, or the seats open to
    the countries without one; None when the event has no limit."""
    if event.capacity is not None and not event.quotas:
        return event_queries.Availability(None, event.capacity, event.seats_confirmed)
    rows = event_queries.availability(event)
    own = next((r for r in rows if r.country_code == country), None)
    return own or next((r for r in rows if r.country_code is None), None)


def _country_name(code: str | None, language: str) -> str:
    country = db.session.get(Country, code) if code else None
    return country.name(language) if country else (code or "")


@bp.get("/focal-point/nominations")
@permission_required(Action.nominate, obj_from=_nomination_country)
def nominations():
    return _nomination_page(_nomination_country())


@bp.post("/focal-point/nominations")
@permission_required(Action.nominate, obj_from=_nomination_country)
def nominate_one():
    country = _nomination_country()
    form = forms.NominationForm(prefix="one")
    form.event.choices = [(e.id, e.title) for e in queries.open_events()]
    if form.validate_on_submit():
        nominee = nomination_service.Nominee(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            email=form.email.data,
            language=form.language.data,
            position=form.position.data,
            institution_name=form.institution.data,
        )
        try:
            nomination_service.nominate(form.event.data, country, [nominee], current_user.id)
        except errors.ImportRejected as error:
            form.email.errors = [message for _row, message in error.errors]
        except errors.RegistrationError as error:
            flash(error.message, "error")
        else:
            flash(_("Nomination sent to %(email)s.", email=nominee.email), "success")
            return redirect(url_for("registration.nominations", **_kept(NOMINATION_FILTERS)))
    return _nomination_page(country, form=form, status=422)


@bp.post("/focal-point/nominations/csv")
@permission_required(Action.nominate, obj_from=_nomination_country)
def nominate_csv():
    country = _nomination_country()
    form = forms.NominationCsvForm(prefix="csv")
    form.event.choices = [(e.id, e.title) for e in queries.open_events()]
    if form.validate_on_submit():
        text = _read_upload(form.file)
        if text is not None:
            try:
                nominees = imports.parse_nomination_csv(text)
                created = nomination_service.nominate(
                    form.event.data, country, nominees, current_user.id
                )
            except errors.ImportRejected as error:
                return _nomination_page(country, csv_form=form, status=422, errors=error.errors)
            except errors.RegistrationError as error:
                flash(error.message, "error")
            else:
                flash(_("%(count)s nominations sent.", count=len(created)), "success")
                return redirect(url_for("registration.nominations", **_kept(NOMINATION_FILTERS)))
    return _nomination_page(country, csv_form=form, status=422)
