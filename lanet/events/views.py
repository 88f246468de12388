"""Public pages: the list of events and an event's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from lanet.core.i18n import current_language
from lanet.core.pagecache import cache_page
from lanet.events import queries
from lanet.events.labels import KIND_LABELS, PARTNER_ROLE_LABELS, STATUS_LABELS

bp = Blueprint("events", __name__)
cache_page("events.home", queries.listing_version)
cache_page("events.event_list", queries.listing_version)


@bp.app_context_processor
def _labels() -> dict:
    return {
        "KIND_LABELS": KIND_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "PARTNER_ROLE_LABELS": PARTNER_ROLE_LABELS,
    }


@bp.get("/", endpoint="home")
@bp.get("/events")
def event_list():
    """The front page and /events: the events carried out and planned."""
    filters = queries.EventFilter.from_args(request.args)
    events = queries.public_events(filters)
    carried_out, planned = queries.split_carried_out(events)
    return render_template(
        "events/list.html",
        filters=filters,
        carried_out=carried_out,
        planned=planned,
        choices=queries.filter_choices(),
        language=current_language(),
    )


@bp.get("/events/<slug>")
def event_page(slug: str):
    event = queries.event_by_slug(slug)
    if event is None:
        abort(404)
    return render_template("events/detail.html", event=event, language=current_language())


from lanet.events import manage  # noqa: E402,F401  (the workspace's routes on this blueprint)
