"""A short-lived cache of the public pages everyone reads: the event list and agenda pages.

Rendering the event list takes tens of milliseconds of CPU; under a crowd (a seminar's
announcement) that alone would cap a 2-core server at a few dozen pages a second. Each web
process keeps the rendered page for `PAGE_CACHE_SECONDS` (10 by default), keyed by the
address and the language, with a version of the data it shows (one small query: the events'
count and last change, or the event's last change and agenda version). The version is read
again at most every `PAGE_CACHE_RECHECK_SECONDS` (1 by default), so an edit to an event or a
newly published agenda shows within a second, and a page in between costs no query at all;
only what the version does not cover (an institution renamed) waits for the 10 seconds.

Only anonymous visitors are served from the cache: a signed-in user, or a session holding a
flashed message, always gets a fresh page. Pages that write to the session are never stored.
Off in tests (TESTING) unless PAGE_CACHE_SECONDS is configured.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request, session

from lanet.core.i18n import current_language

MAX_ENTRIES = 512


@dataclass
class Entry:
    body: bytes
    content_type: str
    version: Hashable
    stored_at: float
    checked_at: float


class PageCache:
    """A small LRU with an age limit, one per process, safe across gunicorn threads."""

    def __init__(self, seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > self.seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, body: bytes, content_type: str, version: Hashable = None) -> None:
        now = time.monotonic()
        with self._lock:
            self._entries[key] = Entry(body, content_type, version, now, now)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Endpoint → what its page depends on, read cheaply on every request. Features add their
# public pages with `cache_page` (events: the lists; agenda: the public agenda).
CACHED_PAGES: dict[str, Callable[[dict], Hashable]] = {}


def cache_page(endpoint: str, version_of: Callable[[dict], Hashable]) -> None:
    """Serves `endpoint` from the cache while `version_of(view_args)` (one small query: the
    data's count and last change) stays the same."""
    CACHED_PAGES[endpoint] = version_of


def _anonymous() -> bool:
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return False
    return "_user_id" not in session and "_flashes" not in session


def _cache() -> PageCache | None:
    return current_app.extensions.get("lanet_page_cache")


def serve_cached() -> Response | None:
    cache = _cache()
    version_of = CACHED_PAGES.get(request.endpoint or "")
    if cache is None or version_of is None or request.method != "GET" or not _anonymous():
        return None
    key = (request.endpoint, request.full_path, current_language())
    entry = cache.get(key)
    now = time.monotonic()
    if entry is None or now - entry.checked_at >= current_app.config["PAGE_CACHE_RECHECK"]:
        version = version_of(request.view_args or {})
        if entry is None or entry.version != version:
            g.page_cache_key, g.page_cache_version = key, version
            return None
        entry.checked_at = now
    response = Response(entry.body, status=200, content_type=entry.content_type)
    response.headers["X-Page-Cache"] = "hit"
    return response


def store(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    cache = _cache()
    if (
        key is not None
        and cache is not None
        and response.status_code == 200
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        # A page that wrote to the session (a CSRF token, a language choice) is personal.
        and not session.modified
    ):
        cache.put(key, response.get_data(), response.content_type, g.get("page_cache_version"))
        response.headers["X-Page-Cache"] = "miss"
    return response


def init_app(app: Flask) -> None:
    configured = app.config.get("PAGE_CACHE_SECONDS")
    if configured is None:
        seconds = 0.0 if app.config.get("TESTING") else 10.0
    else:
        seconds = float(configured)
    if seconds <= 0:
        return
    app.config["PAGE_CACHE_RECHECK"] = float(app.config.get("PAGE_CACHE_RECHECK_SECONDS", 1))
    app.extensions["lanet_page_cache"] = PageCache(seconds)
    app.before_request(serve_cached)
    app.after_request(store)
