"""Task names of the bulletin's workers (workers/bulletin.py)."""

from __future__ import annotations

COMPILE_TASK = "lanet.bulletin.compile_draft"
EXPAND_TASK = "lanet.bulletin.expand_send"
RELAY_TASK = "lanet.bulletin.relay"
