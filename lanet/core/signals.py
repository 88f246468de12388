"""Signals: how a lower feature causes work in a higher one without importing it.

A feature sends; the features that care subscribe in their own `hooks.py`, which
`create_app` imports in one visible place. Receivers run synchronously inside the sender's
transaction, so what they add (outbox rows, after-commit dispatch) commits or rolls back
with the change that caused it. Add a signal here when a feature needs one.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Event, with its new dates and raised SEQUENCE; kwargs: days (how far the start
# moved), previous_timezone, user_id.
event_rescheduled = _signals.signal("event-rescheduled")
# sender: the Event, already marked cancelled; kwargs: reason, user_id.
event_cancelled = _signals.signal("event-cancelled")
# sender: the Event, with its raised SEQUENCE; kwargs: version (the AgendaVersion just
# published), user_id.
agenda_published = _signals.signal("agenda-published")
# sender: the Event, just marked held, inside that transaction; kwargs: user_id.
event_held = _signals.signal("event-held")
# sender: the Registration; kwargs: action (e.g. "created", "cancelled", "confirmed").
registration_changed = _signals.signal("registration-changed")

# --- event management (issue 13): senders are event ids or lists of ids --------------

# Sent after the commit that added seats to an event (capacity or a quota raised): the
# waiting list may take them at once. kwargs: none.
event_seats_added = _signals.signal("event-seats-added")

# Sent inside the transaction that created an event as a copy of another, so the copy's
# agenda skeleton commits with it. kwargs: source_id, day_shift (whole days).
event_copied = _signals.signal("event-copied")

# Sent inside the transaction that cancelled an event, after its registrants were told:
# no one will take a seat any more, so the waiting list and its offers end. kwargs: none.
event_registration_ended = _signals.signal("event-registration-ended")

# Asked by the events workspace and the move/cancel pages: each receiver returns
# {event_id: {name: number}} for the event ids given as the sender (e.g. registration's
# confirmed, waitlisted, pending and to_notify counts). Reading only.
event_counts = _signals.signal("event-counts")


def collect_counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Every receiver's numbers for these events, merged per event."""
    merged: dict[int, dict[str, int]] = {event_id: {} for event_id in event_ids}
    if not event_ids:
        return merged
    for _receiver, result in event_counts.send(list(event_ids)):
        for event_id, numbers in (result or {}).items():
            merged.setdefault(event_id, {}).update(numbers)
    return merged


# Asked by the public series page (for staff): each receiver returns {cycle_id: [names of the
# people who attended every part of that cycle]} for the cycle ids given as the sender.
cycle_completions = _signals.signal("cycle-completions")


def collect_completions(cycle_ids: list[int]) -> dict[int, list[str]]:
    merged: dict[int, list[str]] = {cycle_id: [] for cycle_id in cycle_ids}
    if not cycle_ids:
        return merged
    for _receiver, result in cycle_completions.send(list(cycle_ids)):
        for cycle_id, names in (result or {}).items():
            merged.setdefault(cycle_id, []).extend(names)
    return merged


# Asked by registration's invitations (inviting part 1's attendees to part 2): each receiver
# returns [(email, language)] of the people who attended the event whose id is the sender.
event_attendees = _signals.signal("event-attendees")


def collect_attendees(event_id: int) -> list[tuple[str, str]]:
    """Every receiver's attendees of the event, each address once, in address order."""
    found: dict[str, str] = {}
    for _receiver, result in event_attendees.send(event_id):
        for email, language in result or ():
            found.setdefault(email, language)
    return sorted(found.items())


# Asked by accounts (organizer roles are scoped to an event; the audit log filters by event):
# each receiver returns {event_id: event} for the ids given as the sender, or for every event
# when the sender is None. The events are read, never changed.
events_wanted = _signals.signal("events-wanted")


def collect_events(event_ids: list[int] | None) -> dict[int, object]:
    found: dict[int, object] = {}
    if event_ids is not None and not event_ids:
        return found
    for _receiver, result in events_wanted.send(event_ids):
        found.update(result or {})
    return found


# Asked by mail when it renders a message whose calendar part is built late (calendar_method
# set, no bytes stored): each receiver returns the calendar bytes for the outbox message given
# as the sender, or None when the message is not its own. Registration builds a confirmation's
# calendar here, in the mail worker, so the registration request does not (issue 16).
message_calendar = _signals.signal("message-calendar")


def collect_message_calendar(message: object) -> bytes | None:
    for _receiver, result in message_calendar.send(message):
        if result:
            return result
    return None


# Sent by mail with a batch of outbox messages before it renders them (issue 16): a feature whose
# messages need rows when they are rendered (registration: the confirmation's calendar) loads
# them here, one query for the batch, and returns them; mail holds what is returned until the
# batch is built, so the per-message lookups find the rows in the session instead of the
# database.
messages_rendering = _signals.signal("messages-rendering")


def prepare_messages(messages: list) -> list:
    """What the features loaded for `messages` (keep it referenced while rendering them)."""
    return [result for _receiver, result in messages_rendering.send(messages) if result]
