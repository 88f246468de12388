"""The Secretariat's people page: find a person, export their data, erase it."""

from __future__ import annotations

import json
from contextlib import suppress

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lanet.accounts.decorators import permission_required
from lanet.accounts.forms import MAX_ID
from lanet.accounts.permissions import Action
from lanet.accounts.views import IdConverter
from lanet.extensions import db
from lanet.network.models import Person
from lanet.privacy import queries, service
from lanet.privacy.forms import EraseForm

bp = Blueprint("privacy", __name__)


@bp.record_once
def _register_id_converter(state) -> None:
    state.app.url_map.converters.setdefault("id", IdConverter)


def _person_or_none(person_id: int) -> Person | None:
    return db.session.get(Person, person_id)


def _page_arg() -> int:
    value = request.args.get("page", "")
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_ID:
        return 1
    return int(value)


@bp.get("/staff/people")
@permission_required(Action.manage_people)
def people():
    search = request.args.get("q", "").replace("\x00", "")[:200]
    page = queries.people_page(search, _page_arg())
    return render_template("privacy/people.html", page=page, search=search)


@bp.get("/staff/people/<id:person_id>/export")
@permission_required(Action.manage_people, obj_from=lambda person_id: _person_or_none(person_id))
def export_person(person_id: int):
    data = service.export_person(person_id)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="person-{person_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/staff/people/<id:person_id>/erase", methods=["GET", "POST"])
@permission_required(Action.manage_people, obj_from=lambda person_id: _person_or_none(person_id))
def erase_person(person_id: int):
    person = _person_or_none(person_id) or abort(404)
    form = EraseForm()
    if person.erased_at is None and form.validate_on_submit():
        # Someone else may have erased the person meanwhile: the result is the same.
        with suppress(service.AlreadyErased):
            service.erase_person(person.id)
        flash(_("The person's personal data has been erased."), "success")
        return redirect(url_for("privacy.people"))
    status = 400 if request.method == "POST" else 200
    return render_template("privacy/erase.html", person=person, form=form), status
