"""The staff page for API tokens: issue one for a user with a name and an expiry (the token is
shown once, on the page that issued it), see every token, revoke one."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lanet.accounts.decorators import permission_required
from lanet.accounts.models import ApiToken, User
from lanet.accounts.permissions import Action
from lanet.api import tokens
from lanet.core.forms import LanetForm
from lanet.core.types import utcnow
from lanet.extensions import db

bp = Blueprint("staff_tokens", __name__)

DEFAULT_DAYS = 90


class IssueForm(LanetForm):
    user_id = SelectField(_l("For the user"), coerce=int, validate_choice=False)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])

    def validate_expires_on(self, field) -> None:
        from wtforms.validators import ValidationError

        if field.data is not None and field.data <= utcnow().date():
            raise ValidationError(_l("Choose a day after today."))


class RevokeForm(LanetForm):
    pass


def _users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)))


def _page(form: IssueForm, issued: tuple[ApiToken, str] | None = None, status: int = 200):
    listed = list(
        db.session.scalars(
            select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id.desc())
        )
    )
    response = make_response(
        render_template(
            "api/tokens.html",
            form=form,
            revoke_form=RevokeForm(),
            tokens=listed,
            issued=issued,
            now=utcnow(),
        ),
        status,
    )
    # The page may carry a plain token: never kept by a cache or the browser's history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/staff/api-tokens", methods=["GET", "POST"])
@permission_required(Action.manage_api_tokens)
def token_list():
    form = IssueForm()
    form.user_id.choices = [(u.id, f"{u.person.full_name} <{u.email}>") for u in _users()]
    if form.validate_on_submit():
        expires_on = form.expires_on.data or (utcnow() + timedelta(days=DEFAULT_DAYS)).date()
        expires_at = datetime.combine(expires_on, time(0, 0), UTC)
        try:
            issued = tokens.issue_token(
                form.user_id.data, form.name.data, expires_at, issued_by=current_user.id
            )
        except tokens.TokenError:
            form.user_id.errors = [_("Choose an active user.")]
            return _page(form, status=422)
        return _page(IssueForm(formdata=None), issued=issued)
    if form.is_submitted():
        return _page(form, status=422)
    if form.expires_on.data is None:
        form.expires_on.data = (utcnow() + timedelta(days=DEFAULT_DAYS)).date()
    return _page(form)


@bp.post("/staff/api-tokens/<int:token_id>/revoke")
@permission_required(Action.manage_api_tokens)
def revoke(token_id: int):
    if db.session.get(ApiToken, token_id) is None:
        abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = tokens.revoke_token(token_id)
    flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("staff_tokens.token_list"))
