"""Signals other apps listen to, so that rooms need not know about them."""

from django.dispatch import Signal

# Sent inside the transaction that takes a Space live, with `space`.
space_started = Signal()
