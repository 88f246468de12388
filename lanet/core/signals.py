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
# sender: the Registration; kwargs: action (e.g. "created", "cancelled", "confirmed").
registration_changed = _signals.signal("registration-changed")
