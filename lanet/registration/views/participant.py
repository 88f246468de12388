"""Participant pages: the public registration form, the private link, invitation links."""

from __future__ import annotations

from flask import (
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

from lanet.core.i18n import current_language
from lanet.events import queries as event_queries
from lanet.events.access import event_for
from lanet.extensions import limiter
from lanet.registration import (
    errors,
    forms,
    notifications,
    queries,
    service,
    standing,
    waitlist,
)
from lanet.registration import invitations as invitation_service
from lanet.registration import nominations as nomination_service
from lanet.registration.views import apply_error, bp, fill_choices, fill_submitted_choices


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


# --- Public registration ---------------------------------------------------------------------


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("RATELIMIT_REGISTRATION", "30/minute"), methods=["POST"]
)
def register(slug: str):
    posted = request.method == "POST"
    # A POST loads the event alone (its quotas and partners load only if the form comes back)
    # and validates against the submitted country and institution, not the whole lists:
    # every statement counts in a registration storm (issue 16).
    event = event_for(slug, lean=posted)
    event_slug = event.slug  # read now: the commit expires the event
    language = current_language()
    form = forms.RegistrationForm()
    if posted:
        fill_submitted_choices(form)
    else:
        fill_choices(form)
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
    busy = False
    if is_open and form.validate_on_submit():
        try:
            service.request_registration(
                event.id,
                _applicant(form),
                invitation_token=invitation.token if invitation else None,
            )
        except errors.RegistrationError as error:
            busy = isinstance(error, errors.SeatBusy)
            apply_error(form, error)
        else:
            # The same answer for a new, a known and an already registered address: the
            # private link is in that inbox, never on this page (DESIGN rule 9).
            return redirect(url_for("registration.check_inbox", slug=event_slug))
    if posted:
        fill_choices(form)  # the form is shown again: the whole lists
    status = 200 if request.method == "GET" or not form.errors else 422
    if request.method == "POST" and not is_open:
        status = 409
    headers = {}
    if busy:
        # The form comes back filled in with the flash; sending it again will most likely work.
        status = 503
        headers["Retry-After"] = str(current_app.config["SEAT_BUSY_RETRY_AFTER_SECONDS"])
    return (
        render_template(
            "registration/register.html",
            event=event,
            availability=event_queries.availability(event),
            form=form,
            language=language,
            is_open=is_open,
            invitation=invitation,
        ),
        status,
        headers,
    )


@bp.get("/events/<slug>/register/sent")
def check_inbox(slug: str):
    event = event_for(slug)
    return render_template(
        "registration/check_inbox.html", event=event, language=current_language()
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
        fill_choices(change_form, registration.person.country_code)
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
            waiting=standing.waiting(registration),
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
    fill_choices(form, registration.person.country_code)
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
            apply_error(form, error)
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


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    """Asks first: the private link's button leads here, and only the answer to this page's
    question (confirm=yes) cancels. A plain page and form, so no script is needed."""
    registration = _registration_or_404(token)
    if request.method == "POST" and request.form.get("confirm") == "yes":
        return _participant_decision(
            token, service.cancel_registration, _("Your registration is cancelled.")
        )
    if registration.status not in ("confirmed", "pending", "waitlisted"):
        return redirect(url_for("registration.manage", token=token))
    return render_template(
        "registration/cancel_confirm.html",
        registration=registration,
        event=registration.event,
        confirm_form=forms.ConfirmForm(),
        language=current_language(),
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
