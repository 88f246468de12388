"""The bulletin's pages: staff drafting, previews and sends; contacts and lists; the public
subscription, unsubscribe and confirmation links; the archive and its Atom feed."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lanet.accounts.decorators import permission_required
from lanet.accounts.permissions import Action
from lanet.bulletin import contacts, feed, forms, queries, service, tokens
from lanet.bulletin.labels import BULLETIN_STATUS_LABELS, KIND_LABELS, LANGUAGE_NAMES, STATUS_LABELS
from lanet.bulletin.models import LANGUAGES, ContactKind, ContactStatus
from lanet.core.boundary import parse_int
from lanet.core.types import utcnow
from lanet.extensions import csrf, db, limiter

bp = Blueprint("bulletin", __name__)


@bp.record_once
def _register_globals(state: BlueprintSetupState) -> None:
    # The outbox renders templates/mail/bulletin.* in a worker; they read the text here.
    state.app.jinja_env.globals["bulletin_mail"] = service.mail_content
    state.app.jinja_env.globals["bulletin_kind_labels"] = KIND_LABELS


def _language(value: str) -> str:
    if value not in LANGUAGES:
        abort(404)
    return value


def _bulletin_or_404(bulletin_id: int):
    bulletin = db.session.get(service.Bulletin, bulletin_id)
    if bulletin is None:
        abort(404)
    return bulletin


# --- staff: bulletins ----------------------------------------------------------------------


@bp.get("/staff/bulletins")
@permission_required(Action.manage_bulletin)
def staff_index(form=None, status: int = 200):
    if form is None:
        from lanet.bulletin.drafting import previous_half_year

        start, end = previous_half_year(utcnow().date())
        form = forms.NewBulletinForm(data={"start": start, "end": end})
    return render_template(
        "bulletin/staff_index.html",
        form=form,
        bulletins=queries.bulletins(),
        status_labels=BULLETIN_STATUS_LABELS,
    ), status


@bp.post("/staff/bulletins")
@permission_required(Action.manage_bulletin)
def create():
    form = forms.NewBulletinForm()
    if form.validate_on_submit():
        try:
            bulletin = service.create(form.start.data, form.end.data, current_user.id)
        except service.BulletinError as error:
            getattr(form, error.field or "start").errors.append(error.message)
        else:
            flash(_("The draft is being written from LANET's data."), "success")
            return redirect(url_for("bulletin.edit", bulletin_id=bulletin.id))
    return staff_index(form=form, status=422)


def _edit_page(bulletin, language: str, form=None, status: int = 200):
    form = form or forms.EditForm(
        data={"title": bulletin.titles.get(language, ""), "body": bulletin.bodies.get(language, "")}
    )
    send_form = forms.SendForm()
    rows = queries.lists()
    send_form.list_id.choices = [
        (row.distribution_list.id, f"{row.distribution_list.name} ({row.members})") for row in rows
    ]
    sends = queries.sends_of(bulletin.id)
    return render_template(
        "bulletin/edit.html",
        bulletin=bulletin,
        language=language,
        form=form,
        test_form=forms.TestSendForm(data={"language": language}),
        send_form=send_form,
        button=forms.ButtonForm(),
        sends=[(send, service.progress(send.id)) for send in sends],
        status_labels=BULLETIN_STATUS_LABELS,
        languages=LANGUAGE_NAMES,
    ), status


@bp.get("/staff/bulletins/<int:bulletin_id>")
@permission_required(Action.manage_bulletin)
def edit(bulletin_id: int):
    bulletin = _bulletin_or_404(bulletin_id)
    language = request.args.get("edit", "es")
    return _edit_page(bulletin, language if language in LANGUAGES else "es")


@bp.post("/staff/bulletins/<int:bulletin_id>/text/<language>")
@permission_required(Action.manage_bulletin)
def save(bulletin_id: int, language: str):
    bulletin = _bulletin_or_404(bulletin_id)
    language = _language(language)
    form = forms.EditForm()
    if form.validate_on_submit():
        try:
            service.edit(bulletin.id, language, form.title.data, form.body.data, current_user.id)
        except service.BulletinError as error:
            getattr(form, error.field or "body", form.body).errors.append(error.message)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("bulletin.edit", bulletin_id=bulletin.id, edit=language))
    db.session.rollback()
    return _edit_page(_bulletin_or_404(bulletin_id), language, form=form, status=422)


@bp.post("/staff/bulletins/<int:bulletin_id>/recompile")
@permission_required(Action.manage_bulletin)
def recompile(bulletin_id: int):
    _bulletin_or_404(bulletin_id)
    if forms.ButtonForm().validate_on_submit():
        try:
            service.recompile(bulletin_id, current_user.id)
        except service.BulletinError as error:
            flash(error.message, "error")
        else:
            flash(_("The draft is being written again from LANET's data."), "success")
    return redirect(url_for("bulletin.edit", bulletin_id=bulletin_id))


@bp.get("/staff/bulletins/<int:bulletin_id>/preview/<language>")
@permission_required(Action.manage_bulletin)
def preview(bulletin_id: int, language: str):
    bulletin = _bulletin_or_404(bulletin_id)
    language = _language(language)
    return render_template(
        "bulletin/preview.html",
        bulletin=bulletin,
        language=language,
        html=Markup(bulletin.html.get(language, "")),
        languages=LANGUAGE_NAMES,
    )


def _preview_message(bulletin, language: str):
    """The email a recipient would get, built by the outbox's own code (not queued)."""
    from lanet.mail import compose
    from lanet.mail.models import OutboxMessage

    parts = service.message_parts(bulletin, tokens.TEST_CONTACT, current_user.email, language)
    message = OutboxMessage(
        message_id="<preview@lanet.local>",
        recipient_email=current_user.email,
        recipient_name=None,
        language=parts["language"],
        template=parts["template"],
        context=parts["context"],
        headers=parts["headers"],
    )
    return compose.build(message, current_app.config["MAIL_DEFAULT_SENDER"])


@bp.get("/staff/bulletins/<int:bulletin_id>/preview/<language>/email")
@permission_required(Action.manage_bulletin)
def preview_email(bulletin_id: int, language: str):
    bulletin = _bulletin_or_404(bulletin_id)
    language = _language(language)
    message = _preview_message(bulletin, language)
    text = message.get_body(preferencelist=("plain",))
    return render_template(
        "bulletin/preview_email.html",
        bulletin=bulletin,
        language=language,
        message=message,
        text=text.get_content() if text else "",
        languages=LANGUAGE_NAMES,
    )


@bp.get("/staff/bulletins/<int:bulletin_id>/preview/<language>/email.html")
@permission_required(Action.manage_bulletin)
def preview_email_html(bulletin_id: int, language: str):
    bulletin = _bulletin_or_404(bulletin_id)
    message = _preview_message(bulletin, _language(language))
    html = message.get_body(preferencelist=("html",))
    response = current_app.response_class(html.get_content(), mimetype="text/html")
    # The email's inline styles must apply; only the preview page may frame it.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; "
        "frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/staff/bulletins/<int:bulletin_id>/test")
@permission_required(Action.manage_bulletin)
def test_send(bulletin_id: int):
    _bulletin_or_404(bulletin_id)
    form = forms.TestSendForm()
    if form.validate_on_submit():
        try:
            service.test_send(bulletin_id, current_user, form.language.data)
        except service.BulletinError as error:
            flash(error.message, "error")
        else:
            flash(_("A test copy is on its way to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("bulletin.edit", bulletin_id=bulletin_id, edit=form.language.data))


@bp.post("/staff/bulletins/<int:bulletin_id>/send")
@permission_required(Action.manage_bulletin)
def send(bulletin_id: int):
    bulletin = _bulletin_or_404(bulletin_id)
    form = forms.SendForm()
    form.list_id.choices = [(row.distribution_list.id, "") for row in queries.lists()]
    if not form.validate_on_submit():
        flash(_("Choose a distribution list."), "error")
        return redirect(url_for("bulletin.edit", bulletin_id=bulletin.id))
    try:
        _send, started = service.start_send(bulletin.id, form.list_id.data, current_user.id)
    except service.BulletinError as error:
        flash(error.message, "error")
    else:
        if started:
            flash(_("Sending has started."), "success")
        else:
            flash(
                _("This bulletin was already sent to this list; it is not sent twice."), "warning"
            )
    return redirect(url_for("bulletin.edit", bulletin_id=bulletin.id) + "#sends")


@bp.get("/staff/bulletins/sends/<int:send_id>/progress")
@permission_required(Action.manage_bulletin)
def progress(send_id: int):
    try:
        counted = service.progress(send_id)
    except service.BulletinError:
        abort(404)
    response = jsonify(counted.as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


# --- staff: contacts and lists -------------------------------------------------------------


def _country_choices(blank: str) -> list[tuple[str, str]]:
    from lanet.core.i18n import current_language

    language = current_language()
    return [("", blank)] + [(c.code, c.name(language)) for c in queries.countries()]


def _contact_form(formdata=None) -> forms.ContactForm:
    form = forms.ContactForm(formdata=formdata, prefix="contact")
    form.country.choices = _country_choices(_("(none)"))
    return form


def _list_form(formdata=None) -> forms.ListForm:
    form = forms.ListForm(formdata=formdata, prefix="list")
    form.countries.choices = _country_choices(_("(none)"))[1:]
    return form


def _filters() -> queries.ContactFilters:
    args = request.args
    country = (args.get("country") or "").strip().upper()[:2] or None
    kind = args.get("kind") if args.get("kind") in ContactKind.__members__ else None
    status = args.get("status") if args.get("status") in ContactStatus.__members__ else None
    text = (args.get("q") or "").strip()[:100] or None
    return queries.ContactFilters(country=country, kind=kind, status=status, text=text)


@bp.get("/staff/contacts")
@permission_required(Action.manage_bulletin)
def contacts_page(contact_form=None, import_form=None, list_form=None, errors=None, status=200):
    filters = _filters()
    page_number = request.args.get("page", "1")
    page = queries.contacts_page(filters, parse_int(page_number, minimum=1) or 1)
    return render_template(
        "bulletin/contacts.html",
        page=page,
        filters=filters,
        countries=queries.countries(),
        counts=queries.status_counts(),
        lists=queries.lists(),
        contact_form=contact_form or _contact_form(),
        import_form=import_form or forms.ImportForm(prefix="import"),
        list_form=list_form or _list_form(),
        button=forms.ButtonForm(),
        errors=errors,
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        max_rows=contacts.IMPORT_MAX_ROWS,
        max_mb=contacts.IMPORT_MAX_BYTES // 10**6,
        columns=contacts.IMPORT_COLUMNS + contacts.IMPORT_OPTIONAL,
    ), status


@bp.post("/staff/contacts")
@permission_required(Action.manage_bulletin)
def add_contact():
    form = _contact_form(request.form)
    if form.validate_on_submit():
        data = contacts.ContactData(
            email=form.email.data,
            name=form.name.data or "",
            country_code=form.country.data or None,
            institution=form.institution.data,
            position=form.position.data,
            language=form.language.data,
            kind=form.kind.data,
        )
        try:
            contacts.create_contact(data, current_user.id)
        except contacts.ContactError as error:
            db.session.rollback()
            field = getattr(form, error.field or "email", form.email)
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Contact added."), "success")
            return redirect(url_for("bulletin.contacts_page"))
    return contacts_page(contact_form=form, status=422)


@bp.post("/staff/contacts/import")
@permission_required(Action.manage_bulletin)
def import_contacts():
    form = forms.ImportForm(prefix="import")
    if form.validate_on_submit():
        raw = form.file.data.read(contacts.IMPORT_MAX_BYTES + 1)
        text = None
        if len(raw) > contacts.IMPORT_MAX_BYTES:
            form.file.errors = [
                _("The file is larger than %(size)s MB.", size=contacts.IMPORT_MAX_BYTES // 10**6)
            ]
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors = [_("The file must be UTF-8 text.")]
        if text is not None:
            try:
                parsed = contacts.parse_csv(text)
                result = contacts.import_contacts(parsed, current_user.id)
            except contacts.ImportRejected as error:
                db.session.rollback()
                return contacts_page(import_form=form, errors=error.errors, status=422)
            flash(
                _(
                    "Imported: %(created)s new, %(updated)s updated, %(kept)s kept unsubscribed.",
                    created=result.created,
                    updated=result.updated,
                    kept=result.kept_unsubscribed,
                ),
                "success",
            )
            return redirect(url_for("bulletin.contacts_page"))
    return contacts_page(import_form=form, status=422)


@bp.post("/staff/contacts/<int:contact_id>/unsubscribe")
@permission_required(Action.manage_bulletin)
def unsubscribe_contact(contact_id: int):
    if forms.ButtonForm().validate_on_submit():
        try:
            contacts.unsubscribe_by_staff(contact_id, current_user.id)
        except contacts.ContactError:
            abort(404)
        flash(_("Unsubscribed."), "success")
    return redirect(url_for("bulletin.contacts_page", **request.args))


@bp.post("/staff/lists")
@permission_required(Action.manage_bulletin)
def create_list():
    form = _list_form(request.form)
    if form.validate_on_submit():
        try:
            contacts.create_list(
                contacts.ListData(
                    name=form.name.data, countries=form.countries.data, kinds=form.kinds.data
                ),
                current_user.id,
            )
        except contacts.ContactError as error:
            db.session.rollback()
            field = getattr(form, error.field or "name", form.name)
            field.errors = [*field.errors, error.message]
        else:
            flash(_("List created."), "success")
            return redirect(url_for("bulletin.contacts_page") + "#lists")
    return contacts_page(list_form=form, status=422)


# --- public: subscribe, confirm, unsubscribe -----------------------------------------------


def _subscribe_form(formdata=None) -> forms.SubscribeForm:
    from lanet.core.i18n import current_language

    form = forms.SubscribeForm(
        formdata=formdata, data=None if formdata else {"language": current_language()}
    )
    form.country.choices = _country_choices(_("(none)"))
    return form


@bp.get("/bulletin/subscribe")
def subscribe_page():
    return render_template("bulletin/subscribe.html", form=_subscribe_form())


@bp.post("/bulletin/subscribe")
@limiter.limit("10/hour;3/minute")
def subscribe():
    form = _subscribe_form(request.form)
    if form.validate_on_submit():
        data = contacts.ContactData(
            email=form.email.data,
            name=form.name.data or "",
            country_code=form.country.data or None,
            institution=form.institution.data,
            language=form.language.data,
        )
        try:
            contacts.subscribe(data)
        except contacts.ContactError as error:
            db.session.rollback()
            field = getattr(form, error.field or "email", form.email)
            field.errors = [*field.errors, error.message]
        else:
            # The same answer whether or not the address was known (rule 9).
            return render_template("bulletin/subscribe_sent.html", email=data.email)
    return render_template("bulletin/subscribe.html", form=form), 422


def _link_problem(error: tokens.InvalidToken):
    return render_template("bulletin/link_invalid.html", expired=error.expired), 400


@bp.get("/bulletin/confirm/<token>")
def confirm(token: str):
    try:
        contact = contacts.confirm(token)
    except tokens.InvalidToken as error:
        db.session.rollback()
        return _link_problem(error)
    return render_template("bulletin/confirmed.html", contact=contact)


@bp.get("/bulletin/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """Shows a button and changes nothing: mail scanners open links (RFC 8058 §3.2)."""
    try:
        tokens.read(tokens.UNSUBSCRIBE, token)
    except tokens.InvalidToken as error:
        return _link_problem(error)
    return render_template("bulletin/unsubscribe.html", token=token, button=forms.ButtonForm())


@bp.post("/bulletin/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str):
    """The page's button and the mail client's one-click POST (RFC 8058): the signed token
    is the authority, so no CSRF token is asked (a mail client has none)."""
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    try:
        contact = contacts.unsubscribe(token, how="one-click" if one_click else "unsubscribe link")
    except tokens.InvalidToken as error:
        db.session.rollback()
        return _link_problem(error)
    return render_template("bulletin/unsubscribed.html", test=contact is None)


# --- public: the archive and its feed ------------------------------------------------------


@bp.get("/bulletin/")
def archive():
    return render_template("bulletin/archive.html", bulletins=queries.published())


@bp.get("/bulletin/<int:bulletin_id>")
def issue_current_language(bulletin_id: int):
    from lanet.core.i18n import current_language

    return redirect(url_for("bulletin.issue", bulletin_id=bulletin_id, language=current_language()))


@bp.get("/bulletin/<int:bulletin_id>/<language>")
def issue(bulletin_id: int, language: str):
    language = _language(language)
    bulletin = queries.published_one(bulletin_id)
    if bulletin is None:
        abort(404)
    return render_template(
        "bulletin/issue.html",
        bulletin=bulletin,
        language=language,
        html=Markup(bulletin.html.get(language, "")),
        languages=LANGUAGE_NAMES,
    )


@bp.get("/bulletin/feed/<language>.atom")
def atom_feed(language: str):
    language = _language(language)
    body = feed.atom(queries.published(), language)
    response = current_app.response_class(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
