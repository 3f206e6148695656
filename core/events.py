"""Real-time events: the one way services send them, after commit."""

import asyncio
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


def group_send_many(messages: list[tuple[str, dict]]) -> None:
    """Send many events at once: one trip through async_to_sync, not one per event (each
    trip costs a loop hop, and a connection to Redis when there is no loop yet)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send(group, event):
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.exception("Could not send %s to %s", event.get("type"), group)

    async def send_all():
        # A few hundred in flight at a time: Redis answers them over pooled connections.
        for start in range(0, len(messages), 200):
            await asyncio.gather(*(send(g, e) for g, e in messages[start : start + 200]))

    async_to_sync(send_all)()


def broadcast_many_on_commit(messages: list[tuple[str, dict]]) -> None:
    """`group_send_many` once the current transaction commits."""
    transaction.on_commit(lambda: group_send_many(messages))


def broadcast_on_commit(group: str, event: dict) -> None:
    """Send an event to a group once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: group_send(group, event))
