"""Signals the media server sends, so that it need not know who listens (rooms do)."""

from django.dispatch import Signal

# Sent with `asend` by the media server when who speaks in a Space's room changes, and
# every 2 s while someone speaks, with `space_id` and `speaking` (participant ids).
speaking = Signal()

# Sent with `asend` by the egress (mediaserver.egress) when a storage write fails, once
# per failure streak, with `space_id` and `reason`: the room keeps running and the
# egress tries again with the next segment.
egress_failed = Signal()

# Sent with `asend` by the egress when it has written EXT-X-ENDLIST (the room closed),
# with `space_id`, `segments` (in index.m3u8) and `duration` (seconds).
egress_closed = Signal()
