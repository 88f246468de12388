"""Finding the event a request names and checking the caller may act on it: one rule for the
web pages and the API alike.

`event_for(slug, action)` answers the event or raises an `EventAccessError`; the web turns it
into its 404/403 page or the login page (`events/views.py`), the API into its problem JSON
(`api/core.py`). The caller is `flask_login.current_user`: the signed-in user on a page, the
bearer token's user in the API (`api/auth.py` sets it), anonymous otherwise.

The rule:
- `VIEW` (the public parts: the event's page, published agenda, calendar file, registration
  form; the API's event, registration and agenda reads): a public event for everyone; a
  hidden one (`is_public` false) only for those who may manage it, and "not found" for
  everyone else, so its existence is not told.
- An `Action` (an organizer's pages and operations): an anonymous caller must sign in first
  (before anything is looked up); an event the caller may not see is "not found", as above;
  one they may see but not act on is "forbidden".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_login import current_user
from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from lanet.accounts.decorators import PROTECTED
from lanet.accounts.permissions import Action, can
from lanet.core.reads import read_only_request
from lanet.events.models import Event, EventPartner
from lanet.extensions import db

VIEW = "view"
# The slug column's length: a longer one names nothing.
SLUG_MAX = 80


class EventAccessError(Exception):
    """The event cannot be given to this caller for this action."""


class EventNotFound(EventAccessError):
    """No such event, or a hidden one the caller may not see (web 404, API 404)."""


class SignInRequired(EventAccessError):
    """The action needs a signed-in caller (web: the login page; API: 401)."""


class EventForbidden(EventAccessError):
    """The caller sees the event but may not take the action (web 403, API 403)."""


def _by_slug(
    slug: str, *, related: bool = True, only: tuple = (), lean: bool = False, quotas: bool = False
) -> Event | None:
    if not slug or len(slug) > SLUG_MAX:
        return None
    statement = _slug_statement(related, tuple(column.key for column in only), lean, quotas)
    result = db.session.execute(statement, {"slug": slug})
    if quotas and not related:
        return result.unique().scalar_one_or_none()
    return result.scalar()


@functools.cache
def _slug_statement(related: bool, only: tuple[str, ...], lean: bool, quotas: bool):
    """The event by its (bound) slug, for one shape of `event_for`'s arguments. Built once:
    building a statement and its loader options cost more CPU than running it (issue 16)."""
    query = select(Event).where(Event.slug == bindparam("slug", type_=String))
    if only:
        # What the access rule reads comes along; any other column loads on first use.
        columns = (getattr(Event, key) for key in only)
        query = query.options(load_only(Event.slug, Event.is_public, *columns))
    if quotas and not related:
        # The event and its few quota rows in one statement (a page that shows the quotas).
        return query.options(joinedload(Event.quotas))
    if lean:
        # One statement: the event and its country (named in emails); the rest loads lazily
        # if the page needs it (a form's POST: the registration storm).
        return query.options(joinedload(Event.country))
    if related:
        return query.options(
            joinedload(Event.country),
            selectinload(Event.quotas),
            selectinload(Event.partners).selectinload(EventPartner.institution),
        )
    return query


def may_see(event: Event, user: Any = None) -> bool:
    """Public events for everyone; hidden ones for those who may manage them."""
    user = current_user if user is None else user
    return event.is_public or can(user, Action.manage_event, event)


def event_for(
    slug: str,
    action: Action | str = VIEW,
    *,
    related: bool = True,
    only: tuple = (),
    lean: bool = False,
    quotas: bool = False,
) -> Event:
    """The event named by `slug` when the current caller may take `action` on it, with its
    country, quotas and partners unless `related` is false (a page that shows none of them
    saves three round trips; they still load on first use). `only`: the columns a page reads,
    when it reads few (an event row is ~40 columns, five of them JSON). `lean`: the event and
    its country in one statement, nothing else (a form's POST, e.g. the registration storm).
    `quotas` (with `related` false): the quotas joined to the event's own statement."""
    user = current_user
    if action != VIEW and not getattr(user, "is_authenticated", False):
        raise SignInRequired()
    event = _by_slug(slug, related=related, only=only, lean=lean, quotas=quotas)
    if event is None or not may_see(event, user):
        raise EventNotFound()
    if action != VIEW and not can(user, action, event):
        raise EventForbidden()
    return event


def event_required(
    action: Action,
    *,
    related: bool = True,
    only: tuple = (),
    quotas: bool = False,
    read_only: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guards a page of an event's organizers: the view receives `event=` from `event_for`
    (`related`, `only`, `quotas`: as there). `read_only`: the page only reads, and its
    statements, the user's included, run without a transaction (`core.reads.read_only_request`).

    Registered in `PROTECTED` like `permission_required`, so the access-matrix test finds it.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        PROTECTED[f"{view.__module__}.{view.__name__}"] = action

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if read_only:
                read_only_request()
            event = event_for(kwargs["slug"], action, related=related, only=only, quotas=quotas)
            return view(*args, event=event, **kwargs)

        return wrapped

    return decorator
