"""Signals other apps listen to, so that rooms need not know about them."""

from django.dispatch import Signal

# Sent inside the transaction that takes a Space live, with `space`.
space_started = Signal()

# Sent inside the transaction that ends a live Space (by its host, or by itself when the
# host is away), with `space`, once it is ended.
space_ended = Signal()

# Sent by `reactions_flush` each time a batch of reactions goes to the room, with
# `space_id`, `counts` ({emoji: n}), `reactors` ({participant id: emoji}) and `at` (epoch
# seconds): a recorded Space's replay shows them again (recordings). Often: keep it cheap.
reactions_sent = Signal()

# Sent inside the transaction that pins or unpins a tweet, with `space` and `pins` (the
# pinned tweets now, as `rooms.selectors.pins` says).
pins_changed = Signal()
