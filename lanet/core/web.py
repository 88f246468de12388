"""What every page shares: template helpers for times and languages, and response headers."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import get_date_format, get_datetime_format, get_time_format
from flask import Flask, Response, current_app, request, session, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale
from werkzeug.routing import BuildError

from lanet.core.i18n import current_language


def local_datetime(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone))


# (long and full name the zone: left to Babel.)
_NAMED_FORMATS = ("short", "medium")


def format_in_zone(value: datetime, timezone: str, fmt: str = "medium") -> str:
    """A time shown in the given IANA zone, whatever the viewer's default. The short and
    medium formats (without a zone name) go through a formatter built once per (locale, format): a list
    formats a time on every row, and Babel's own function looks the locale and its patterns up
    on each call. Same text as `flask_babel.format_datetime(..., rebase=False)`."""
    local = local_datetime(value, timezone)
    locale = get_locale()
    if fmt not in _NAMED_FORMATS or locale is None:
        return format_datetime(local, fmt, rebase=False)
    return _datetime_formatter(locale, fmt)(local)


@lru_cache(maxsize=64)
def _datetime_formatter(locale, fmt: str):
    # What babel.dates.format_datetime does for a named format, with the lookups done once.
    combined = get_datetime_format(fmt, locale=locale).replace("'", "")
    date_pattern = get_date_format(fmt, locale=locale)
    time_pattern = get_time_format(fmt, locale=locale)

    def formatter(value: datetime) -> str:
        return combined.replace("{0}", time_pattern.apply(value, locale)).replace(
            "{1}", date_pattern.apply(value, locale)
        )

    return formatter


def format_time_in_zone(value: datetime, timezone: str) -> str:
    return format_time(local_datetime(value, timezone), "short", rebase=False)


def format_date_range(
    start: date, end: date, precision: str = "day", language: str | None = None
) -> str:
    """An event's dates as a list shows them; formatted once per process for each distinct
    (language, dates, precision): a list repeats the same few values on every page.
    `language`: the page's (`current_language()`), saving the locale lookup per row."""
    return _date_range_in(language or str(get_locale() or ""), start, end, str(precision))


@lru_cache(maxsize=4096)
def _date_range_in(_locale: str, start: date, end: date, precision: str) -> str:
    # `_locale` keys the cache; Babel reads the same locale from the request (es, pt, en).
    if precision == "year":
        return str(start.year)
    if precision in {"month", "half-year"}:
        if start.year == end.year and start.month == end.month:
            return format_date(start, "MMMM yyyy")
        return f"{format_date(start, 'MMMM yyyy')} – {format_date(end, 'MMMM yyyy')}"
    if start == end:
        return format_date(start, "long")
    return f"{format_date(start, 'medium')} – {format_date(end, 'medium')}"


# Slugs that url_for writes as they are: lowercase letters, digits and hyphens (the form's
# SLUG_PATTERN); anything else goes through url_for itself.
_PLAIN_SLUG = re.compile(r"[a-z0-9-]+\Z")
_SLUG_MARKER = "lanet-slug-marker"


def slug_urls(endpoint: str, slugs: list[str]) -> dict[str, str]:
    """`url_for(endpoint, slug=s)` for every slug of a list at the cost of one call: the
    address is built once around a marker and each plain slug put in its place (a list page
    called url_for once per row)."""
    pattern = url_for(endpoint, slug=_SLUG_MARKER)
    before, marker, after = pattern.partition(_SLUG_MARKER)
    if not marker or _SLUG_MARKER in after:
        return {slug: url_for(endpoint, slug=slug) for slug in slugs}
    return {
        slug: f"{before}{slug}{after}" if _PLAIN_SLUG.match(slug) else url_for(endpoint, slug=slug)
        for slug in slugs
    }


def url_with_language(language: str) -> str:
    """The current page in another language."""
    args = dict(request.view_args or {})
    # A query key named like a path parameter (?slug=…) or like url_for's own options
    # (?_external=…) must not reach url_for: it is the client's text, not ours.
    query = carried_query()
    query["lang"] = language
    if request.endpoint is None:
        return f"{request.script_root}/?{urlencode({'lang': language})}"
    try:
        return url_for(request.endpoint, **args, **query)
    except BuildError:  # a query value url_for cannot use: the page without its query
        return url_for(request.endpoint, **args, lang=language)


def query_args(*keys: str) -> dict[str, str]:
    """The current query's values for `keys` only, for links and forms that carry filters on
    (passing all of `request.args` to url_for lets a client's `?slug=` break the page)."""
    return {key: request.args[key] for key in keys if key in request.args}


def carried_query() -> dict[str, str]:
    """The current query minus what url_for would read as its own arguments (path parameters,
    `_external` and the like), for links that keep the page's filters (pagination)."""
    view_args = request.view_args or {}
    return {
        key: value
        for key, value in request.args.items()
        if key not in view_args and not key.startswith("_")
    }


# Pages and answers that carry someone's personal data or a private token.
_PRIVATE_PREFIXES = (
    "/r/",
    "/invitations/",
    "/password/",
    "/account",
    "/staff",
    "/manage",
    "/focal-point",
    "/bulletin/confirm/",
    "/bulletin/unsubscribe/",
    "/api/v1/registrations/",
    "/api/v1/me",
    "/api/v1/tokens",
)


def private_no_store(response: Response) -> Response:
    """`Cache-Control: no-store` on private pages and on personal API answers: no browser
    history, shared computer or proxy keeps a copy. Anything answered to a signed-in user or a
    bearer token is private too (read from the session, without asking the database)."""
    private = (
        request.path.startswith(_PRIVATE_PREFIXES)
        or "Authorization" in request.headers
        or (request.view_args or {}).get("token") is not None
        or "_user_id" in session
    )
    if private:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def security_headers(response: Response) -> Response:
    # Scripts and styles only from this origin: no inline script, no CDN (venues may be offline).
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("BASE_URL", "").startswith("https://"):
        # Served over https: browsers must never fall back to plain http (cookies, tokens).
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    from lanet.core import boundary, errors, layout

    errors.init_app(app)
    boundary.init_app(app)
    layout.init_app(app)
    app.jinja_env.filters["in_zone"] = format_in_zone
    app.jinja_env.filters["time_in_zone"] = format_time_in_zone
    app.jinja_env.globals["format_date_range"] = format_date_range
    app.jinja_env.globals["url_with_language"] = url_with_language
    app.jinja_env.globals["query_args"] = query_args
    app.jinja_env.globals["carried_query"] = carried_query
    app.jinja_env.globals["LANGUAGE_NAMES"] = {"es": "Español", "pt": "Português", "en": "English"}
    app.jinja_env.globals["current_language"] = current_language
    app.after_request(security_headers)
    app.after_request(private_no_store)
