"""Events: the public list with filters, and one event."""

from __future__ import annotations

from lanet.api.core import resource_blueprint
from lanet.api.lookups import SLUG_PARAMETER
from lanet.api.pagination import PageArgs, page_schema, paginate_list
from lanet.api.problems import problem_responses
from lanet.api.schemas import EventDetailSchema, EventFilterArgs, EventSchema
from lanet.core.types import utcnow
from lanet.events import queries
from lanet.events.access import event_for

blp = resource_blueprint("api_events", "Events of the Network, past and upcoming (public).")


class EventListArgs(EventFilterArgs, PageArgs):
    pass


EventPage = page_schema(EventSchema, "EventPage")


@blp.get("/events")
@blp.arguments(EventListArgs, location="query", as_kwargs=True)
@blp.response(200, EventPage)
def list_events(
    page: int, per_page: int, status: str | None = None, when: str | None = None, **filters
):
    """Public events, newest first (ties broken by id, so pages never overlap). `when` splits
    them as the public list does: upcoming or past by date in each event's time zone."""
    country = filters.get("country")
    chosen = queries.EventFilter(
        year=filters.get("year"),
        country=country.upper() if country else None,
        kind=filters.get("kind"),
    )
    events = queries.public_events(chosen)
    if status:
        events = [event for event in events if event.status == status]
    if when:
        now = utcnow()
        events = [event for event in events if queries.is_past(event, now) == (when == "past")]
    return paginate_list(events, page, per_page)


@blp.get("/events/<slug>", parameters=[SLUG_PARAMETER])
@blp.response(200, EventDetailSchema)
@problem_responses(blp, 404)
def get_event(slug: str):
    """One event, with its quotas and partner organizations."""
    return event_for(slug)
