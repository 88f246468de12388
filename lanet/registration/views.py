"""Registration pages: the public form, the private link, organizer and focal-point pages."""

from __future__ import annotations

import os

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lanet.accounts.decorators import permission_required
from lanet.accounts.permissions import Action, can, focal_point_countries
from lanet.core.i18n import current_language
from lanet.extensions import csrf, db, limiter
from lanet.network.models import Country
from lanet.registration import (
    errors,
    forms,
    imports,
    notifications,
    people,
    queries,
    service,
    waitlist,
)
from lanet.registration import invitations as invitation_service
from lanet.registration import nominations as nomination_service
from lanet.registration.models import RegistrationStatus

bp = Blueprint("registration", __name__)


@bp.app_context_processor
def _labels() -> dict:
    return {
        "REGISTRATION_STATUS_LABELS": {
            "pending": _("Pending approval"),
            "confirmed": _("Confirmed"),
            "waitlisted": _("Waiting list"),
            "cancelled": _("Cancelled"),
            "declined": _("Declined"),
        },
        "INVITATION_STATE_LABELS": {
            "invited": _("Invited"),
            "opened": _("Opened"),
            "registered": _("Registered"),
            "declined": _("Declined"),
        },
        "REGISTRATION_ROLE_LABELS": {
            **dict(forms.role_choices()),
            "organizer": _("Organizer"),
        },
        "registration_is_open": queries.registration_is_open,
        "may_nominate": _may_nominate,
    }


def _may_nominate() -> bool:
    return bool(getattr(current_user, "is_authenticated", False)) and bool(
        focal_point_countries(current_user)
    )


def _event_or_404(slug: str):
    event = queries.event_by_slug(slug)
    if event is None or (not event.is_public and not _may_manage(event)):
        abort(404)
    return event


def _may_manage(event) -> bool:
    return can(current_user, Action.view_registrations, event)


def _country_label(country, language: str) -> str:
    return country.name(language)


def _fill_choices(form, country_code: str | None = None) -> None:
    language = current_language()
    if hasattr(form, "country"):
        countries = sorted(queries.countries(), key=lambda c: c.name(language))
        form.country.choices = [("", _("— choose —"))] + [
            (c.code, c.name(language)) for c in countries
        ]
    institutions = queries.institution_choices(country_code)
    form.institution.choices = [(None, _("— not listed —"))] + [
        (i.id, f"{i.name} ({i.country_code})" if i.country_code else i.name) for i in institutions
    ]


def _applicant(form: forms.RegistrationForm) -> service.Applicant:
    return service.Applicant(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        country_code=form.country.data or None,
        institution_id=form.institution.data,
        new_institution_name=form.new_institution_name.data,
        new_institution_kind=form.new_institution_kind.data,
        position=form.position.data,
        language=form.language.data,
        role=form.role.data,
        consent=bool(form.consent.data),
    )


def _apply_error(form, error: errors.RegistrationError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


# --- Public registration ---------------------------------------------------------------------


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("RATELIMIT_REGISTRATION", "30/minute"), methods=["POST"]
)
def register(slug: str):
    event = _event_or_404(slug)
    language = current_language()
    form = forms.RegistrationForm()
    _fill_choices(form)
    invitation = None
    token = request.values.get("invitation") or form.invitation.data
    if token:
        try:
            invitation = queries.invitation_by_token(token)
        except errors.RegistrationError:
            invitation = None
        if invitation is not None and invitation.event_id != event.id:
            invitation = None
    if request.method == "GET":
        form.language.data = language
        if invitation is not None:
            _prefill_from_invitation(form, invitation)
    is_open = queries.registration_is_open(event)
    if is_open and form.validate_on_submit():
        try:
            registration = service.register(
                event.id,
                _applicant(form),
                invitation_token=invitation.token if invitation else None,
            )
        except errors.RegistrationError as error:
            _apply_error(form, error)
        else:
            return redirect(url_for("registration.manage", token=registration.manage_token, new=1))
    status = 200 if request.method == "GET" or not form.errors else 422
    if request.method == "POST" and not is_open:
        status = 409
    return (
        render_template(
            "registration/register.html",
            event=event,
            form=form,
            language=language,
            is_open=is_open,
            invitation=invitation,
        ),
        status,
    )


def _prefill_from_invitation(form, invitation) -> None:
    form.invitation.data = invitation.token
    form.email.data = invitation.email
    form.language.data = invitation.language
    person = invitation.person
    if person is not None:
        form.first_name.data = person.first_name
        form.last_name.data = person.last_name
        form.country.data = person.country_code or ""
        form.institution.data = person.institution_id
        form.position.data = person.position
        form.language.data = person.language


# --- The private link ------------------------------------------------------------------------


def _registration_or_404(token: str):
    try:
        return service.registration_for_token(token)
    except errors.RegistrationError:
        abort(404)


def _manage_page(registration, change_form=None, status: int = 200):
    if change_form is None:
        change_form = forms.ChangeForm(
            formdata=None,
            institution=registration.person.institution_id,
            position=registration.person.position,
            language=registration.person.language,
        )
        _fill_choices(change_form, registration.person.country_code)
    return (
        render_template(
            "registration/manage.html",
            registration=registration,
            event=registration.event,
            person=registration.person,
            change_form=change_form,
            confirm_form=forms.ConfirmForm(),
            language=current_language(),
            is_new=request.args.get("new") == "1",
        ),
        status,
    )


@bp.get("/r/<token>")
def manage(token: str):
    registration = _registration_or_404(token)
    return _manage_page(registration)


@bp.post("/r/<token>/change")
def change(token: str):
    registration = _registration_or_404(token)
    form = forms.ChangeForm()
    _fill_choices(form, registration.person.country_code)
    if form.validate_on_submit():
        try:
            service.change_registration(
                token,
                service.Changes(
                    position=form.position.data or "",
                    institution_id=form.institution.data,
                    new_institution_name=form.new_institution_name.data,
                    new_institution_kind=form.new_institution_kind.data,
                    language=form.language.data,
                ),
            )
        except errors.RegistrationError as error:
            _apply_error(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("registration.manage", token=token))
    return _manage_page(registration, form, 422)


def _participant_decision(token: str, decide, done_message: str):
    """A confirmed POST from the private link: the service decides, the page tells."""
    _registration_or_404(token)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        decide(token)
    except errors.RegistrationError as error:
        flash(error.message, "error")
    else:
        flash(done_message, "success")
    return redirect(url_for("registration.manage", token=token))


@bp.post("/r/<token>/cancel")
def cancel(token: str):
    return _participant_decision(
        token, service.cancel_registration, _("Your registration is cancelled.")
    )


@bp.post("/r/<token>/accept")
def accept(token: str):
    return _participant_decision(token, waitlist.accept_offer, _("Your seat is confirmed."))


@bp.get("/r/<token>/calendar.ics")
def calendar(token: str):
    registration = _registration_or_404(token)
    body = notifications.personal_calendar(registration.id, current_language())
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{registration.event.slug}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


# --- Invitation links ------------------------------------------------------------------------


@bp.get("/invitations/<token>")
def invitation(token: str):
    try:
        invitation = invitation_service.open_invitation(token)
    except errors.RegistrationError:
        abort(404)
    return render_template(
        "registration/invitation.html",
        invitation=invitation,
        event=invitation.event,
        nomination=nomination_service.is_nomination(invitation),
        confirm_form=forms.ConfirmForm(),
        language=current_language(),
    )


@bp.post("/invitations/<token>/decline")
def decline_invitation(token: str):
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitation_service.decline_invitation(token)
    except errors.RegistrationError as error:
        flash(error.message, "error")
    else:
        flash(_("Thank you for letting us know. You will not be reminded."), "success")
    return redirect(url_for("registration.invitation", token=token))


# --- Organizer pages -------------------------------------------------------------------------


def _managed_event(slug: str, **_other) -> object:
    return queries.event_by_slug(slug)


@bp.get("/manage/events/<slug>/registrations")
@permission_required(Action.view_registrations, obj_from=_managed_event)
def registrations(slug: str):
    event = queries.event_by_slug(slug)
    filters = queries.RegistrationFilter.from_args(request.args)
    rows = queries.registrations(event.id, filters)
    return render_template(
        "registration/registrations.html",
        event=event,
        rows=rows,
        filters=filters,
        totals=queries.totals(queries.registrations(event.id)),
        choices=queries.filter_choices(event.id),
        decision_form=forms.DecisionForm(),
        statuses=list(RegistrationStatus),
        language=current_language(),
    )


@bp.post("/manage/events/<slug>/registrations/decide")
@permission_required(Action.approve_registrations, obj_from=_managed_event)
def decide(slug: str):
    event = queries.event_by_slug(slug)
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long."), "error")
        return redirect(url_for("registration.registrations", slug=slug))
    ids = [int(i) for i in request.form.getlist("registration") if i.isdigit()]
    own = {r.id for r in queries.registrations(event.id)}
    ids = [i for i in ids if i in own]
    action = request.form.get("action")
    if not ids:
        flash(_("Select at least one registration."), "error")
    elif action == "approve":
        counts = service.approve(ids, current_user.id)
        flash(
            _(
                "%(confirmed)s confirmed, %(waitlisted)s on the waiting list.",
                confirmed=counts["confirmed"],
                waitlisted=counts["waitlisted"],
            ),
            "success",
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
    return redirect(url_for("registration.registrations", slug=slug, **request.args))


@bp.get("/manage/events/<slug>/registrations.<fmt>")
@permission_required(Action.view_registrations, obj_from=_managed_event)
def export(slug: str, fmt: str):
    event = queries.event_by_slug(slug)
    rows = queries.registrations(event.id, queries.RegistrationFilter.from_args(request.args))
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


def _invitations_page(event, invite_form=None, csv_form=None, status: int = 200):
    invitations = queries.invitations(event.id)
    return (
        render_template(
            "registration/invitations.html",
            event=event,
            invitations=invitations,
            state_of=queries.invitation_state,
            invite_form=invite_form or forms.InviteForm(prefix="typed"),
            csv_form=csv_form or forms.InviteCsvForm(prefix="csv"),
            confirm_form=forms.ConfirmForm(),
            language=current_language(),
        ),
        status,
    )


def _flash_invite_result(result: invitation_service.InviteResult) -> None:
    flash(
        _(
            "%(created)s invited; %(skipped)s already invited before.",
            created=len(result.created),
            skipped=len(result.skipped),
        ),
        "success",
    )


@bp.get("/manage/events/<slug>/invitations")
@permission_required(Action.invite, obj_from=_managed_event)
def invitations(slug: str):
    return _invitations_page(queries.event_by_slug(slug))


@bp.post("/manage/events/<slug>/invitations")
@permission_required(Action.invite, obj_from=_managed_event)
def invite_typed(slug: str):
    event = queries.event_by_slug(slug)
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
            invitees = [invitation_service.Invitee(email, form.language.data) for email in valid]
            _flash_invite_result(invitation_service.invite(event.id, invitees, current_user.id))
            return redirect(url_for("registration.invitations", slug=slug))
    return _invitations_page(event, invite_form=form, status=422)


@bp.post("/manage/events/<slug>/invitations/csv")
@permission_required(Action.invite, obj_from=_managed_event)
def invite_csv(slug: str):
    event = queries.event_by_slug(slug)
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
            _flash_invite_result(invitation_service.invite(event.id, invitees, current_user.id))
            return redirect(url_for("registration.invitations", slug=slug))
    return _invitations_page(event, csv_form=form, status=422)


@bp.post("/manage/events/<slug>/invitations/<source>")
@permission_required(Action.invite, obj_from=_managed_event)
def invite_group(slug: str, source: str):
    event = queries.event_by_slug(slug)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    if source == "remind":
        count = invitation_service.remind_invitations(event.id, current_user.id)
        flash(_("%(count)s reminders sent.", count=count), "success")
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
    try:
        if len(raw) <= 2_000_000:
            return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
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
            language=language,
        ),
        status,
    )


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
            return redirect(url_for("registration.nominations", **request.args))
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
                return redirect(url_for("registration.nominations", **request.args))
    return _nomination_page(country, csv_form=form, status=422)


# --- Benchmark baseline ----------------------------------------------------------------------


@bp.post("/bench/plain-insert")
def bench_plain_insert():
    """One plain INSERT per request: the baseline of bench/registration_storm.py."""
    if os.environ.get("LANET_BENCH_ENDPOINTS") != "1":
        abort(404)
    from lanet.network.models import Person

    db.session.add(
        Person(
            first_name=request.form.get("first_name", "")[:120],
            last_name=request.form.get("last_name", "")[:120],
            email=people.normalize_email(request.form.get("email", ""))[:254] or None,
            language="es",
        )
    )
    db.session.commit()
    return "ok\n", 201


# The baseline measures the database round trip, not the form machinery.
csrf.exempt(bench_plain_insert)
