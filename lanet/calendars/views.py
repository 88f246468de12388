"""Calendar files served from storage, and the page that offers the subscriptions."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from lanet.calendars import service
from lanet.core.i18n import current_language
from lanet.events.access import event_for
from lanet.events.models import EventKind
from lanet.events.queries import filter_choices
from lanet.network.models import LANGUAGES

bp = Blueprint("calendars", __name__)


def _language() -> str:
    """The file's language: ?lang= when given, else the visitor's (calendar apps send none)."""
    chosen = (request.args.get("lang") or "").strip()
    if chosen:
        if chosen not in LANGUAGES:
            abort(
                Response(
                    _("Unknown language; use es, pt or en.") + "\n", 400, mimetype="text/plain"
                )
            )
        return chosen
    return current_language()


@bp.get("/events/<slug>/calendar.ics")
def event_file(slug: str):
    event = event_for(slug)
    language = _language()
    include_agenda = request.args.get("agenda") in {"1", "true", "yes"}
    event_id = event.id
    return service.serve(
        service.event_key(event_id, language, include_agenda),
        lambda: service.build_event_file(event_id, language, include_agenda),
        filename=f"{slug}.ics",
    )


@bp.get("/calendar/network.ics")
def network_file():
    try:
        filters = service.parse_feed_filter(request.args)
    except service.FeedFilterError as error:
        message = _("Invalid value for “%(name)s”.", name=str(error))
        return Response(message + "\n", 400, mimetype="text/plain")
    language = _language()
    return service.serve(
        service.feed_key(filters, language),
        lambda: service.build_feed(filters, language),
        filename="lanet.ics",
        max_age=900,
    )


def feed_urls(country: str | None, kind: str | None, year: int | None, language: str) -> dict:
    params = {
        k: v
        for k, v in {"country": country, "kind": kind, "year": year, "lang": language}.items()
        if v
    }
    https_url = current_app.config["BASE_URL"] + url_for("calendars.network_file")
    if params:
        https_url += "?" + urlencode(params)
    parts = urlsplit(https_url)
    return {"https": https_url, "webcal": urlunsplit(("webcal", *parts[1:]))}


@bp.get("/calendar")
def subscribe():
    try:
        filters = service.parse_feed_filter(request.args)
    except service.FeedFilterError:
        filters = service.FeedFilter()
    language = current_language()
    return render_template(
        "calendars/subscribe.html",
        filters=filters,
        urls=feed_urls(filters.country, filters.kind, filters.year, language),
        choices=filter_choices(),
        kinds=list(EventKind),
        language=language,
    )
