"""Real-time events: the one way services send them, after commit."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def group_send(group: str, event: dict) -> None:
    """Send an event to a channel-layer group now; a lossy pipe, so failures are logged."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        # The database is the truth; clients resync from a snapshot when they miss events.
        logger.exception("Could not send %s to %s", event.get("type"), group)


def broadcast_on_commit(group: str, event: dict) -> None:
    """Send an event to a group once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: group_send(group, event))
