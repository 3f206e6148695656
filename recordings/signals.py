"""Signals other apps listen to, so that recordings need not know about them."""

from django.dispatch import Signal

# Sent inside the transaction that deletes a recording (the host's delete, or retention
# expiry), with `space_id`, once its row says deleted: what belongs to its replay goes
# with it (captions: the Space's transcript, docs/captions.md).
recording_deleted = Signal()
