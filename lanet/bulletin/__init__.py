"""The Network's bulletin: contacts and distribution lists, drafts compiled from LANET's own
data, sending through the outbox with one-click unsubscribe, and the public archive."""
