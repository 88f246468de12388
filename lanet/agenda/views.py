"""The organizers' agenda editor and the public, printable agenda."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lanet.accounts.permissions import Action
from lanet.agenda import queries, service
from lanet.agenda.forms import ActionForm, AgendaItemForm, ImportForm
from lanet.agenda.labels import ITEM_KIND_LABELS
from lanet.agenda.models import AgendaItem
from lanet.core.i18n import current_language, labels_in_language
from lanet.core.pagecache import cache_page
from lanet.events.access import EventNotFound, event_required, may_see
from lanet.events.models import Event
from lanet.extensions import db

bp = Blueprint("agenda", __name__)
cache_page("agenda.public_agenda", queries.public_agenda_version)


@bp.app_template_filter("format_agenda_day")
def format_agenda_day(day: date) -> str:
    return _agenda_day_in(str(get_locale() or ""), day)


@lru_cache(maxsize=2048)
def _agenda_day_in(_locale: str, day: date) -> str:
    # Formatted once per (language, day): Babel's full date is costly and the days repeat.
    return format_date(day, "full")


@bp.app_template_filter("format_agenda_day_short")
def format_agenda_day_short(day: date) -> str:
    return format_date(day, "EEE d MMM")


@bp.app_context_processor
def _labels() -> dict:
    return {
        "ITEM_KIND_LABELS": labels_in_language(ITEM_KIND_LABELS),
        "CHANGE_LABELS": labels_in_language(service.CHANGE_LABELS),
    }


# --- public ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    entry: queries.AgendaEntry
    local_start: datetime
    local_end: datetime
    viewer_start: datetime | None
    viewer_end: datetime | None
    # The times as the row prints them (a call from the template cost more than the call).
    start_iso: str = ""
    start_hm: str = ""
    end_iso: str = ""
    end_hm: str = ""


def viewer_zone(event: Event | queries.AgendaEvent) -> ZoneInfo | None:
    """The visitor's zone from ?tz= (set by agenda-tz.js or typed), when it is not the event's."""
    name = (request.args.get("tz") or "").strip()
    if not name or name == event.timezone or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def by_day(
    entries: list[queries.AgendaEntry], zone: ZoneInfo, viewer: ZoneInfo | None
) -> OrderedDict[date, list[Row]]:
    days: OrderedDict[date, list[Row]] = OrderedDict()
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.ends_at, e.id)):
        start, end = entry.starts_at.astimezone(zone), entry.ends_at.astimezone(zone)
        row = Row(
            entry,
            start,
            end,
            entry.starts_at.astimezone(viewer) if viewer else None,
            entry.ends_at.astimezone(viewer) if viewer else None,
            start.isoformat(),
            start.strftime("%H:%M"),
            end.isoformat(),
            end.strftime("%H:%M"),
        )
        days.setdefault(start.date(), []).append(row)
    return days


@bp.get("/events/<slug>/agenda")
def public_agenda(slug: str):
    language = current_language()
    # The event and its published version in one read, as plain rows (issue 16).
    found = queries.public_agenda(slug, language)
    if found is None or not may_see(found[0]):
        raise EventNotFound()
    event, version = found
    entries = [queries.AgendaEntry.from_json(item) for item in version.items] if version else []
    zone = ZoneInfo(event.timezone)
    viewer = viewer_zone(event)
    days = by_day(entries, zone, viewer)
    # Same offsets all along (e.g. Lima and Bogotá): the second column would only repeat.
    if viewer and all(
        r.local_start.utcoffset() == r.viewer_start.utcoffset()
        for rows in days.values()
        for r in rows
    ):
        viewer = None
        days = by_day(entries, zone, None)
    return render_template(
        "agenda/public.html",
        event=event,
        version=version,
        days=days,
        viewer=viewer,
        language=language,
    )


# --- organizers -----------------------------------------------------------------------------


@bp.get("/manage/events/<slug>/agenda")
@event_required(Action.edit_agenda)
def editor(slug: str, event: Event):
    return _render_editor(event, AgendaItemForm(formdata=None, day=event.start_date), ImportForm())


def _render_editor(
    event: Event,
    form: AgendaItemForm,
    import_form: ImportForm,
    import_errors: list | None = None,
    status: int = 200,
):
    items = queries.draft_items(event.id)
    zone = ZoneInfo(event.timezone)
    days: OrderedDict[date, list[AgendaItem]] = OrderedDict()
    for item in items:
        days.setdefault(item.starts_at.astimezone(zone).date(), []).append(item)
    version = queries.latest_version(event.id)
    pending = service.diff_items(
        version.items if version else [], [service.item_json(i) for i in items]
    )
    return render_template(
        "agenda/editor.html",
        event=event,
        days=days,
        zone=zone,
        form=form,
        import_form=import_form,
        action_form=ActionForm(),
        import_errors=import_errors or [],
        version=version,
        pending=pending,
        language=current_language(),
    ), status


def _item_input(form: AgendaItemForm) -> service.ItemInput:
    return service.ItemInput(
        kind=form.kind.data,
        day=form.day.data,
        start=form.start.data,
        end=form.end.data,
        title=form.title.data or "",
        description=form.description.data,
        room=form.room.data,
        speakers=service.parse_speakers(form.speakers.data or ""),
    )


def _save(form: AgendaItemForm, save) -> bool:
    """Runs the service (which commits); a refusal becomes a field error."""
    if not form.validate_on_submit():
        return False
    try:
        save(_item_input(form))
        return True
    except service.AgendaError as error:
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            form.form_errors.append(error.message)
        return False


@bp.post("/manage/events/<slug>/agenda/items")
@event_required(Action.edit_agenda)
def add_item(slug: str, event: Event):
    form = AgendaItemForm()
    event_id = event.id
    if _save(form, lambda data: service.add_item(event_id, data)):
        flash(_("Item added to the draft."), "success")
        return redirect(url_for(".editor", slug=slug))
    return _render_editor(
        db.session.get(Event, event_id), form, ImportForm(formdata=None), status=422
    )


@bp.route("/manage/events/<slug>/agenda/items/<int:item_id>", methods=["GET", "POST"])
@event_required(Action.edit_agenda)
def edit_item(slug: str, item_id: int, event: Event):
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.event_id != event.id:
        abort(404)
    zone = ZoneInfo(event.timezone)
    # No `obj=item`: WTForms prefers an object's attribute over a keyword, and `item.speakers`
    # is a list of rows, which would fill the field with their repr.
    form = AgendaItemForm(
        kind=item.kind,
        title=item.title,
        room=item.room,
        description=item.description,
        day=item.starts_at.astimezone(zone).date(),
        start=item.starts_at.astimezone(zone).time(),
        end=item.ends_at.astimezone(zone).time(),
        speakers=service.speakers_text(item),
    )
    if request.method == "POST":
        if _save(form, lambda data: service.edit_item(item_id, data)):
            flash(_("Item saved in the draft."), "success")
            return redirect(url_for(".editor", slug=slug))
        event = db.session.get(Event, event.id)
        item = db.session.get(AgendaItem, item_id)
        status = 422
    else:
        status = 200
    return render_template(
        "agenda/edit_item.html",
        event=event,
        item=item,
        form=form,
        action_form=ActionForm(),
        language=current_language(),
    ), status


@bp.post("/manage/events/<slug>/agenda/items/<int:item_id>/delete")
@event_required(Action.edit_agenda)
def delete_item(slug: str, item_id: int, event: Event):
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.event_id != event.id:
        abort(404)
    if ActionForm().validate_on_submit():
        service.delete_item(item_id)
        flash(_("Item removed from the draft."), "success")
    return redirect(url_for(".editor", slug=slug))


@bp.post("/manage/events/<slug>/agenda/import")
@event_required(Action.edit_agenda)
def import_items(slug: str, event: Event):
    import_form = ImportForm()
    form = AgendaItemForm(formdata=None, day=event.start_date)
    if not import_form.validate_on_submit():
        return _render_editor(event, form, import_form, status=422)
    content = import_form.file.data.read(2_000_001)
    if len(content) > 2_000_000:
        import_form.file.errors.append(_("The file is too large (at most 2 MB)."))
        return _render_editor(event, form, import_form, status=422)
    try:
        created = service.import_csv(event.id, content, replace=bool(import_form.replace.data))
    except service.AgendaImportError as error:
        return _render_editor(event, form, import_form, import_errors=error.rows, status=422)
    flash(_("%(n)s items imported into the draft.", n=len(created)), "success")
    return redirect(url_for(".editor", slug=slug))


@bp.post("/manage/events/<slug>/agenda/publish")
@event_required(Action.edit_agenda)
def publish(slug: str, event: Event):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = service.publish(event.id, user_id=current_user.id)
    except service.AgendaError as error:
        flash(error.message, "error")
        return redirect(url_for(".editor", slug=slug))
    flash(_("Version %(n)s of the agenda is published.", n=version.version), "success")
    return redirect(url_for(".editor", slug=slug))
