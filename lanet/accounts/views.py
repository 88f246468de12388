"""Signing in and out, password links, and the Secretariat's users, people and audit pages."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

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
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests
from werkzeug.routing import IntegerConverter

from lanet.accounts import lockout, queries, service
from lanet.accounts.decorators import permission_required
from lanet.accounts.forms import (
    MAX_ID,
    ConfirmForm,
    ForgotPasswordForm,
    InviteUserForm,
    LoginForm,
    RoleForm,
    SetPasswordForm,
)
from lanet.accounts.limits import (
    login_limit,
    password_reset_limit,
)
from lanet.accounts.models import User
from lanet.accounts.passwords import DEMO_PASSWORD
from lanet.accounts.permissions import Action
from lanet.core.i18n import current_language
from lanet.extensions import db, limiter

bp = Blueprint("accounts", __name__)


@bp.record_once  # first of the blueprint's deferred functions: before any rule uses <id:…>
def _register_id_converter(state) -> None:
    # Row ids fit 32 bits: a longer number is a page that does not exist, not a database error.
    state.app.url_map.converters.setdefault("id", IdConverter)


class IdConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value.isascii() or not value.isdigit():
        return None
    return int(value) if 0 < int(value) <= MAX_ID else None


def _text_arg(name: str, limit: int) -> str:
    """A query-string filter, cut to its column's size and without NUL characters."""
    return request.args.get(name, "").replace("\x00", "")[:limit]


# --- signing in and out ----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    form = LoginForm()
    next_url = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        # Failures, not attempts: this address may have used up its tries for this account;
        # the owner elsewhere has not (lanet/accounts/lockout.py).
        wait = lockout.blocked(form.email.data)
        if wait is not None:
            raise TooManyRequests(retry_after=wait)
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            lockout.forget_failures(form.email.data)
            login_user(user)
            return redirect(next_url or url_for("accounts.home"))
        lockout.record_failure(form.email.data)
        # One answer for an unknown email, a wrong password and a disabled account.
        form.password.errors.append(_("The email or the password is not right."))
    status = 200 if request.method == "GET" else 400
    return render_template(
        "accounts/login.html",
        form=form,
        demo_password=DEMO_PASSWORD if current_app.config["DEV_PAGES"] else None,
    ), status


@bp.get("/account")
def home():
    """Where signing in lands: the pages this user may open."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("accounts/home.html", user=current_user)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "success")
        return redirect(url_for("events.home"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(password_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        service.request_password_reset(form.email.data)
        # The same page whether or not an account has this email, and after the same time:
        # a known email costs a token, an outbox row and a commit, an unknown one nothing.
        floor = current_app.config["PASSWORD_RESET_MIN_SECONDS"]
        time.sleep(max(0.0, floor - (time.monotonic() - started)))
        return render_template("accounts/reset_sent.html")
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/forgot.html", form=form), status


@bp.after_request
def _private(response: Response) -> Response:
    """Sign-in and link pages: never cached, and the link's token never leaves in a Referer."""
    if request.endpoint in PRIVATE_PAGES:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


PRIVATE_PAGES = {"accounts.login", "accounts.forgot_password", "accounts.reset_password"}


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(password_reset_limit, methods=["POST"])
def reset_password(token: str):
    try:
        service.check_link(token)
    except service.InvalidToken:
        return render_template("accounts/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password_with_link(token, form.password.data)
        except service.InvalidToken:
            return render_template("accounts/link_invalid.html"), 404
        except service.AccountError as error:
            form.password.errors.append(error.message)
        else:
            flash(_("Your password is set. You can sign in now."), "success")
            return redirect(url_for("accounts.login"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/reset.html", form=form), status


# --- users and roles -------------------------------------------------------------------------


def _role_spec(form: RoleForm) -> service.RoleSpec:
    return service.RoleSpec(
        role=form.role.data,
        event_id=form.event_id.data,
        country_code=form.country_code.data or None,
    )


def _with_choices(form: RoleForm) -> RoleForm:
    form.set_choices(
        queries.event_choices(current_language()), queries.country_choices(current_language())
    )
    return form


def _field_error(form: Any, error: service.AccountError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/staff/users", methods=["GET", "POST"])
@permission_required(Action.manage_users)
def users():
    form = _with_choices(InviteUserForm())
    if form.validate_on_submit():
        try:
            user = service.invite_user(
                form.email.data,
                form.first_name.data or "",
                form.last_name.data or "",
                form.language.data,
                [_role_spec(form)],
            )
        except service.AccountError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/users.html", users=queries.all_users(), form=form), status


def _user_or_none(user_id: int) -> User | None:
    return db.session.get(User, user_id)


@bp.route("/staff/users/<id:user_id>", methods=["GET", "POST"])
@permission_required(Action.manage_users)
def user_detail(user_id: int):
    user = _user_or_none(user_id) or abort(404)
    form = _with_choices(RoleForm())
    if form.validate_on_submit():
        try:
            service.grant_role(user.id, _role_spec(form))
        except service.AccountError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash(_("Role added."), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "staff/user_detail.html", user=user, form=form, confirm=ConfirmForm()
    ), status


@bp.post("/staff/users/<id:user_id>/roles/<id:role_id>/revoke")
@permission_required(Action.manage_users)
def revoke_role(user_id: int, role_id: int):
    user = _user_or_none(user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if role_id not in {r.id for r in user.roles}:
        abort(404)
    if user.id == current_user.id and _is_last_staff_role(user, role_id):
        flash(_("You cannot remove your own staff role."), "error")
    else:
        service.revoke_role(role_id)
        flash(_("Role removed."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


def _is_last_staff_role(user: User, role_id: int) -> bool:
    return any(r.id == role_id and r.role == "staff" for r in user.roles)


@bp.post("/staff/users/<id:user_id>/active")
@permission_required(Action.manage_users)
def toggle_active(user_id: int):
    user = _user_or_none(user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
    else:
        service.set_active(user.id, not user.active)
        flash(_("Account updated."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


# --- the audit log ---------------------------------------------------------------------------


@bp.get("/staff/audit")
@permission_required(Action.view_audit)
def audit_log():
    filters = queries.AuditFilters(
        object_type=_text_arg("object_type", 40) or None,
        event_id=_int_arg("event_id"),
        user_id=_int_arg("user_id"),
    )
    page = queries.audit_page(filters, _int_arg("page") or 1)
    actors = queries.users_by_id({e.user_id for e in page.items if e.user_id})
    return render_template(
        "staff/audit.html",
        page=page,
        filters=filters,
        actors=actors,
        object_types=queries.audit_object_types(),
        events=queries.audit_events(),
        users=queries.all_users(),
    )
