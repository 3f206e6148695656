"""Real-time events: the one way services send them, after commit."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def _send_timeout() -> float:
    # The Redis clients time out on their own (settings.REDIS_TIMEOUT); this bounds a send
    # even if a client retries, so a request whose write committed never waits on Redis.
    return getattr(settings, "REDIS_TIMEOUT", 2.0) + 1.0


def _log_failure(event: dict, group: str, exc: BaseException) -> None:
    # One line, no traceback: while Redis is down every event fails the same way.
    reason = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
    logger.warning("Could not send %s to %s (%s)", event.get("type"), group, reason)


async def _bounded(awaitable, timeout: float):
    """Await `awaitable` for at most `timeout` seconds, then give up on it.

    Unlike asyncio.wait_for, this returns at the deadline even when the awaitable does not
    end on cancellation (a Redis client stuck in a read that swallows it): the caller, a
    request or a worker thread waiting in async_to_sync, must never hang on the pipe."""
    task = asyncio.ensure_future(awaitable)
    done, _pending = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # no "never retrieved"
        task.cancel()  # not awaited, on purpose
        raise TimeoutError
    return task.result()


def group_send(group: str, event: dict) -> None:
    """Send an event to a channel-layer group now; a lossy pipe, so failures are logged."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send():
        await _bounded(layer.group_send(group, event), _send_timeout())

    try:
        async_to_sync(send)()
    except Exception as exc:
        # The database is the truth; clients resync from a snapshot when they miss events.
        _log_failure(event, group, exc)


def group_send_many(messages: list[tuple[str, dict]]) -> None:
    """Send many events at once: one trip through async_to_sync, not one per event (each
    trip costs a loop hop, and a connection to Redis when there is no loop yet)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    failed = []

    async def send(group, event):
        try:
            await layer.group_send(group, event)
        except Exception as exc:
            failed.append((group, event, exc))

    async def send_all():
        # A few hundred in flight at a time: Redis answers them over pooled connections.
        for start in range(0, len(messages), 200):
            batch = messages[start : start + 200]
            await _bounded(asyncio.gather(*(send(g, e) for g, e in batch)), _send_timeout())

    try:
        async_to_sync(send_all)()
    except Exception as exc:  # the whole send timed out: Redis is down or hung
        _log_failure({"type": f"{len(messages)} events"}, "their groups", exc)
        return
    if failed:
        group, event, exc = failed[0]
        more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
        _log_failure(event, f"{group}{more}", exc)


def broadcast_many_on_commit(messages: list[tuple[str, dict]]) -> None:
    """`group_send_many` once the current transaction commits."""
    transaction.on_commit(lambda: group_send_many(messages))


def broadcast_on_commit(group: str, event: dict) -> None:
    """Send an event to a group once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: group_send(group, event))
