"""Registrants' calendars follow their event: moved, cancelled, or a new agenda published."""

from __future__ import annotations

from typing import Any

from lanet.core import signals
from lanet.events.models import Event
from lanet.registration import notifications, updates


@signals.event_rescheduled.connect
def _event_moved(event: Event, **_changes: Any) -> None:
    updates.notify_registrants(
        event,
        "agenda_update",
        {
            "moved": True,
            "start_date": event.start_date.isoformat(),
            "end_date": event.end_date.isoformat(),
            "changes": [],
            "before": _changes.get("before"),
        },
        include_waitlisted=True,
    )


@signals.event_cancelled.connect
def _event_cancelled(event: Event, **changes: Any) -> None:
    updates.notify_registrants(
        event,
        "event_cancelled",
        {"reason": changes.get("reason")},
        method="CANCEL",
        include_waitlisted=True,
    )


@signals.agenda_published.connect
def _agenda_published(event: Event, **changes: Any) -> None:
    version = changes["version"]
    updates.notify_registrants(
        event, "agenda_update", {"version": version.version, "changes": version.changes}
    )


# --- event management (issue 13) -------------------------------------------------------------


@signals.event_seats_added.connect
def _offer_added_seats(event_id: int, **_: object) -> None:
    """Seats added to an event go to its waiting list at once (after the edit committed)."""
    from lanet.registration.waitlist import promote_waiting_list

    promote_waiting_list(event_id)


@signals.event_registration_ended.connect
def _end_waiting_list(event_id: int, **_: object) -> None:
    from lanet.registration.closing import end_waiting_list

    end_waiting_list(event_id)


@signals.event_counts.connect
def _registration_counts(event_ids: list[int], **_: object) -> dict[int, dict[str, int]]:
    from lanet.registration.closing import counts

    return counts(event_ids)


@signals.messages_rendering.connect
def _load_confirmations(messages: list, **_: Any) -> list:
    """The registrations (with person, event and its country) whose confirmation calendars a
    batch of messages will build: one query for the batch, not a few per message."""
    return notifications.load_deferred_calendars(messages)


@signals.message_calendar.connect
def _confirmation_calendar(message: Any, **_: Any) -> bytes | None:
    """A confirmation's calendar, built by the mail worker as it renders the message."""
    return notifications.deferred_calendar(message.context, message.language)
