"""Signals the media server sends, so that it need not know who listens (rooms do)."""

from django.dispatch import Signal

# Sent with `asend` by the media server when who speaks in a Space's room changes, and
# every 2 s while someone speaks, with `space_id` and `speaking` (participant ids).
speaking = Signal()
