"""The Secretariat's outbox page: every message, its status and last error, and a resend."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lanet.core.access import permission_required
from lanet.mail import queries, service
from lanet.mail.forms import STATUS_LABELS, OutboxFilterForm, ResendForm

bp = Blueprint("mail", __name__)


def _filter_args() -> dict[str, str]:
    """The current filters, carried through a resend and back."""
    return {
        k: v for k, v in request.args.items() if k in {"status", "event_id", "recipient", "page"}
    }


@bp.get("/staff/outbox")
@permission_required("view_outbox")
def outbox():
    form = OutboxFilterForm(request.args)
    valid = form.validate()
    filters = queries.OutboxFilters()
    if valid:
        filters = queries.OutboxFilters(
            status=form.status.data or None,
            event_id=form.event_id.data,
            recipient=(form.recipient.data or "").strip() or None,
        )
    page = queries.outbox_page(filters, (form.page.data if valid else None) or 1)
    return render_template(
        "staff/outbox.html",
        form=form,
        page=page,
        filters=filters,
        counts=queries.status_counts(),
        events=queries.outbox_events(),
        status_labels=STATUS_LABELS,
        resend_form=ResendForm(),
        filter_args=_filter_args(),
    ), (200 if valid else 400)


@bp.post("/staff/outbox/<int:message_id>/resend")
@permission_required("view_outbox")
def resend(message_id: int):
    form = ResendForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        try:
            service.resend(message_id)
        except service.OutboxError as error:
            flash(str(error), "error")
        else:
            flash(_("The message will be sent again."), "success")
    return redirect(url_for("mail.outbox", **_filter_args()))
