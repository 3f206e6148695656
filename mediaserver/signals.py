"""Signals the media server sends, so that it need not know who listens (rooms do)."""

from django.dispatch import Signal

# Sent with `asend` by the media server when who speaks in a Space's room changes, and
# every 2 s while someone speaks, with `space_id` and `speaking` (participant ids).
speaking = Signal()

# Sent with `asend` by the media server's egress (issue 11 contract): `egress_failed` with
# `space_id` and `reason` once per streak of failed storage writes (the room goes on);
# `egress_closed` with `space_id`, `segments` and `duration` once it wrote ENDLIST.
egress_failed = Signal()
egress_closed = Signal()
