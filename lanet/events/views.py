"""Public pages: the list of events and an event's page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import Forbidden, NotFound

from lanet.core.i18n import current_language, labels_in_language
from lanet.core.pagecache import cache_page
from lanet.core.web import slug_urls
from lanet.events import queries
from lanet.events.access import (
    EventAccessError,
    EventForbidden,
    SignInRequired,
    event_for,
)
from lanet.events.cards import event_cards
from lanet.events.labels import KIND_LABELS, PARTNER_ROLE_LABELS, STATUS_LABELS
from lanet.extensions import login_manager

bp = Blueprint("events", __name__)
cache_page("events.home", queries.listing_version)
cache_page("events.event_list", queries.listing_version)


@bp.app_context_processor
def _labels() -> dict:
    return {
        "KIND_LABELS": labels_in_language(KIND_LABELS),
        "STATUS_LABELS": labels_in_language(STATUS_LABELS),
        "PARTNER_ROLE_LABELS": labels_in_language(PARTNER_ROLE_LABELS),
    }


@bp.app_errorhandler(EventAccessError)
def _event_access_refused(error: EventAccessError):
    """`event_for`'s refusals on every page: sign in first, else the 404 or 403 page."""
    if isinstance(error, SignInRequired):
        return login_manager.unauthorized()
    refused = Forbidden() if isinstance(error, EventForbidden) else NotFound()
    return current_app.handle_http_exception(refused)


@bp.get("/", endpoint="home")
@bp.get("/events")
def event_list():
    """The front page and /events: the upcoming events, then the past ones (by date in each
    event's time zone, whatever their status; `queries.split_by_date`)."""
    filters = queries.EventFilter.from_args(request.args)
    language = current_language()
    events = queries.public_event_cards(filters, language)
    listing = queries.split_by_date(events)
    urls = slug_urls("events.event_page", [event.slug for event in events])
    kinds, statuses = labels_in_language(KIND_LABELS), labels_in_language(STATUS_LABELS)
    flag = _("Not recorded as carried out")

    def cards(listed: list) -> Markup:
        return event_cards(listed, language, urls, kinds, statuses, listing.not_recorded, flag)

    return render_template(
        "events/list.html",
        filters=filters,
        listing=listing,
        upcoming_cards=cards(listing.upcoming),
        past_cards=cards(listing.past),
        # Unfiltered, the list holds every public event: the choices come from it.
        options=queries.filter_options(
            queries.filter_choices(events if filters.empty else None), filters, language, kinds
        ),
        language=language,
    )


@bp.get("/events/<slug>")
def event_page(slug: str):
    event = event_for(slug)
    return render_template(
        "events/detail.html",
        event=event,
        availability=queries.availability(event),
        language=current_language(),
    )
