"""Signals other apps listen to, so that rooms need not know about them."""

from django.dispatch import Signal

# Sent inside the transaction that takes a Space live, with `space`.
space_started = Signal()

# Sent inside the transaction that ends a live Space (by its host, or by itself when the
# host is away), with `space`, once it is ended.
space_ended = Signal()
