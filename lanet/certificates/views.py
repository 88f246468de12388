"""Certificate pages: defining and producing them (organizers, staff), downloading one from
the private link, and the public verification page."""

from __future__ import annotations

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
from flask_login import current_user

from lanet.accounts.decorators import permission_required
from lanet.accounts.permissions import Action, can
from lanet.certificates import documents, downloads, production, queries, service, templates
from lanet.certificates.errors import CertificateError
from lanet.certificates.forms import (
    ClearDecisionForm,
    DecisionForm,
    ImageForm,
    ProduceForm,
    TemplateForm,
    VerifyForm,
    WithdrawForm,
)
from lanet.certificates.models import Certificate, CertificateTemplate
from lanet.core.boundary import parse_int
from lanet.core.i18n import current_language
from lanet.events.access import event_required
from lanet.events.models import Cycle, Event
from lanet.extensions import db, limiter

bp = Blueprint("certificates", __name__)

LANGUAGES = ("es", "pt", "en")


@bp.app_context_processor
def _helpers() -> dict:
    def certificates_for_registration(registration) -> list[Certificate]:
        return queries.certificates_for_registration(registration)

    def may_manage_certificates(event) -> bool:
        return service.may_manage(current_user, event.id)

    def may_manage_cycle_certificates() -> bool:
        return service.may_manage(current_user, None)

    return {
        "certificates_for_registration": certificates_for_registration,
        "may_manage_certificates": may_manage_certificates,
        "may_manage_cycle_certificates": may_manage_cycle_certificates,
    }


# --- the subject: an event or a cycle ----------------------------------------------------------

# What `permission_required` checks a cycle's pages against: no event, so no organizer
# passes `can(user, manage_certificates, NO_EVENT)` and only staff do.
NO_EVENT = 0


def _cycle(cycle_id: int, **_other) -> int | None:
    return NO_EVENT if db.session.get(Cycle, cycle_id) is not None else None


def _template_event(template_id: int, **_other) -> Event | int | None:
    template = db.session.get(CertificateTemplate, template_id)
    if template is None:
        return None
    return template.event if template.event_id else NO_EVENT


def _certificate_event(certificate_id: int, **_other) -> Event | int | None:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        return None
    return certificate.template.event if certificate.template.event_id else NO_EVENT


class _Subject:
    def __init__(self, event: Event | None = None, cycle: Cycle | None = None) -> None:
        self.event, self.cycle = event, cycle
        self.template = (
            queries.template_for_event(event.id) if event else queries.template_for_cycle(cycle.id)
        )

    @property
    def kind(self) -> str:
        return "attendance" if self.event else "completion"

    @property
    def url(self) -> str:
        if self.event:
            return url_for("certificates.event_page", slug=self.event.slug)
        return url_for("certificates.cycle_page", cycle_id=self.cycle.id)

    def title(self, language: str) -> str:
        if self.event:
            return self.event.display_title(language)
        return _(
            "%(series)s, cycle %(number)s",
            series=self.cycle.series.name(language),
            number=self.cycle.number,
        )

    def allowed(self) -> bool:
        return service.may_manage(current_user, self.event.id if self.event else None)


def _cycle_subject(cycle_id: int) -> _Subject:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    return _guard(_Subject(cycle=cycle))


def _guard(subject: _Subject) -> _Subject:
    if not subject.allowed():
        abort(403)
    return subject


def _template_subject(template_id: int) -> _Subject:
    template = db.session.get(CertificateTemplate, template_id)
    if template is None:
        abort(404)
    if template.event_id:
        return _guard(_Subject(event=template.event))
    return _guard(_Subject(cycle=template.cycle))


def _template_form(subject: _Subject) -> TemplateForm:
    form = TemplateForm()
    if request.method == "GET":
        data = subject.template or templates.defaults(subject.kind)
        for language in LANGUAGES:
            getattr(form, f"title_{language}").data = data.titles.get(language, "")
            getattr(form, f"body_{language}").data = data.bodies.get(language, "")
        form.issuer.data = data.issuer
        form.min_share.data = data.min_share
        form.hours_per_day.data = data.hours_per_day
        form.roles.data = list(
            data.role_list if subject.template else data.roles  # type: ignore[union-attr]
        )
    return form


def _page(subject: _Subject, form: TemplateForm | None = None, image_form=None, status=200):
    template = subject.template
    entries = queries.entries(template) if template else []
    run = queries.latest_run(template.id) if template else None
    issued = queries.certificates_of_template(template.id) if template else []
    return (
        render_template(
            "certificates/manage.html",
            subject=subject,
            template=template,
            form=form or _template_form(subject),
            image_form=image_form or ImageForm(formdata=None),
            decision_form=DecisionForm(formdata=None),
            clear_form=ClearDecisionForm(formdata=None),
            produce_form=ProduceForm(formdata=None),
            withdraw_form=WithdrawForm(formdata=None),
            may_withdraw=can(current_user, Action.withdraw_certificates),
            entries=entries,
            eligible=sum(1 for e in entries if e.eligible),
            run=run,
            issued=issued,
            placeholders=["{" + p + "}" for p in documents_placeholders()],
            languages=LANGUAGES,
        ),
        status,
    )


def documents_placeholders() -> tuple[str, ...]:
    from lanet.certificates.texts import PLACEHOLDERS

    return PLACEHOLDERS


def _save(subject: _Subject):
    form = TemplateForm()
    if not form.validate_on_submit():
        return _page(subject, form, status=422)
    data = templates.TemplateData(
        titles={lang: getattr(form, f"title_{lang}").data or "" for lang in LANGUAGES},
        bodies={lang: getattr(form, f"body_{lang}").data or "" for lang in LANGUAGES},
        issuer=form.issuer.data or "",
        min_share=form.min_share.data,
        hours_per_day=form.hours_per_day.data,
        roles=tuple(form.roles.data or ()),
    )
    try:
        templates.save_template(
            event_id=subject.event.id if subject.event else None,
            cycle_id=subject.cycle.id if subject.cycle else None,
            data=data,
        )
    except CertificateError as error:
        db.session.rollback()
        _field_error(form, error)
        return _page(subject, form, status=422)
    flash(_("The certificate is saved."), "success")
    return redirect(subject.url)


def _field_error(form, error: CertificateError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/manage/events/<slug>/certificates", methods=["GET", "POST"])
@event_required(Action.manage_certificates)
def event_page(slug: str, event: Event):
    subject = _Subject(event=event)
    return _save(subject) if request.method == "POST" else _page(subject)


@bp.route("/manage/cycles/<int:cycle_id>/certificates", methods=["GET", "POST"])
@permission_required(Action.manage_certificates, obj_from=_cycle)
def cycle_page(cycle_id: int):
    subject = _cycle_subject(cycle_id)
    return _save(subject) if request.method == "POST" else _page(subject)


@bp.post("/manage/certificates/<int:template_id>/images")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def add_image(template_id: int):
    subject = _template_subject(template_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return _page(subject, image_form=form, status=422)
    try:
        templates.add_image(
            template_id,
            form.kind.data,
            form.image.data.read(templates.image_limit() + 1),
            signer_name=form.signer_name.data or "",
            signer_position=form.signer_position.data or "",
        )
    except CertificateError as error:
        db.session.rollback()
        _field_error(form, error)
        return _page(subject, image_form=form, status=422)
    flash(_("The image is added."), "success")
    return redirect(subject.url)


@bp.post("/manage/certificates/<int:template_id>/images/<int:image_id>/remove")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def remove_image(template_id: int, image_id: int):
    subject = _template_subject(template_id)
    if not ProduceForm().validate_on_submit():
        abort(400)
    try:
        templates.remove_image(template_id, image_id)
    except CertificateError:
        abort(404)
    flash(_("The image is removed."), "success")
    return redirect(subject.url)


@bp.get("/manage/certificates/<int:template_id>/images/<int:image_id>")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def image(template_id: int, image_id: int):
    _template_subject(template_id)
    from lanet.certificates.models import CertificateImage

    row = db.session.get(CertificateImage, image_id)
    if row is None or row.template_id != template_id:
        abort(404)
    return Response(row.content, mimetype=row.content_type, headers={"Cache-Control": "private"})


@bp.get("/manage/certificates/<int:template_id>/preview/<language>.pdf")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def preview(template_id: int, language: str):
    subject = _template_subject(template_id)
    if language not in LANGUAGES:
        abort(404)
    content = documents.preview(subject.template, queries.parts_of(subject.template), language)
    return downloads.pdf_response(content, f"certificate-preview-{language}.pdf", inline=True)


@bp.post("/manage/certificates/<int:template_id>/decisions")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def decide(template_id: int):
    subject = _template_subject(template_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Give the reason (at most 500 characters)."), "error")
        return redirect(subject.url + "#eligibility")
    try:
        service.decide(template_id, int(form.person_id.data), form.decision.data, form.reason.data)
    except (CertificateError, ValueError) as error:
        db.session.rollback()
        flash(getattr(error, "message", _("Not found.")), "error")
    else:
        flash(_("The decision is recorded."), "success")
    return redirect(subject.url + "#eligibility")


@bp.post("/manage/certificates/<int:template_id>/decisions/clear")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def clear_decision(template_id: int):
    subject = _template_subject(template_id)
    form = ClearDecisionForm()
    person_id = parse_int(form.person_id.data, minimum=1)
    if form.validate_on_submit() and person_id is not None:
        service.clear_decision(template_id, person_id)
        flash(_("The attendance rule applies again."), "success")
    return redirect(subject.url + "#eligibility")


@bp.post("/manage/certificates/<int:template_id>/produce")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def produce(template_id: int):
    subject = _template_subject(template_id)
    if not ProduceForm().validate_on_submit():
        abort(400)
    try:
        service.request_production(template_id, requested_by_id=current_user.id)
    except CertificateError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Certificates are being produced."), "success")
    return redirect(subject.url + "#production")


@bp.get("/manage/certificates/<int:template_id>/progress.json")
@permission_required(Action.manage_certificates, obj_from=_template_event)
def progress(template_id: int):
    _template_subject(template_id)
    run = queries.latest_run(template_id)
    if run is None:
        return jsonify({"status": None})
    return jsonify(
        {"status": run.status, "total": run.total, "done": run.done, "failed": run.failed}
    )


@bp.post("/manage/certificates/withdraw/<int:certificate_id>")
@permission_required(Action.withdraw_certificates, obj_from=_certificate_event)
def withdraw(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    template = certificate.template
    url = (
        url_for("certificates.event_page", slug=template.event.slug)
        if template.event_id
        else url_for("certificates.cycle_page", cycle_id=template.cycle_id)
    )
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Give the reason (at most 500 characters)."), "error")
        return redirect(url + "#issued")
    try:
        service.withdraw(certificate_id, form.reason.data, user_id=current_user.id)
    except CertificateError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("The certificate is withdrawn."), "success")
    return redirect(url + "#issued")


@bp.get("/manage/certificates/<int:certificate_id>.pdf")
@permission_required(Action.manage_certificates, obj_from=_certificate_event)
def staff_download(certificate_id: int):
    return _pdf_response(db.session.get(Certificate, certificate_id))


def _pdf_response(certificate: Certificate | None) -> Response:
    if certificate is None:
        abort(404)
    try:
        return downloads.certificate_pdf_response(certificate)
    except CertificateError:
        abort(404)


# --- the holder's private link -----------------------------------------------------------------


@bp.get("/r/<token>/certificates/<code>.pdf")
def holder_download(token: str, code: str):
    try:
        certificate = service.certificate_for_holder(token, code)
    except CertificateError:
        abort(404)
    return _pdf_response(certificate)


# --- public verification ---------------------------------------------------------------------


@bp.get("/verify")
@limiter.limit("60/minute")
def verify_form():
    form = VerifyForm(request.args)
    if request.args.get("code") is None:
        return render_template("certificates/verify.html", form=form, result=None, not_found=False)
    code = production.normalise_code(request.args["code"][:100])
    if code is None:
        # Malformed: the same plain answer as an unknown code, never a hint.
        return (
            render_template("certificates/verify.html", form=form, result=None, not_found=True),
            404,
        )
    return redirect(url_for(".verify", code=code))


@bp.get("/verify/<code>")
@limiter.limit("60/minute")
def verify(code: str):
    form = VerifyForm(formdata=None, code=code)
    try:
        result = service.verify(code, current_language())
    except CertificateError:
        return (
            render_template("certificates/verify.html", form=form, result=None, not_found=True),
            404,
        )
    return render_template("certificates/verify.html", form=form, result=result, not_found=False)
