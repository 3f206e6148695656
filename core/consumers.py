"""What every socket shares: sends that stop at the close, and rate limits per person."""

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name

from core.ratelimit import hit

logger = logging.getLogger(__name__)

try:
    # Daphne (through autobahn) raises this on a send once the closing handshake began.
    from autobahn.exception import Disconnected
except ImportError:  # another ASGI server: the ASGI spec asks for an OSError
    Disconnected = OSError

# How many times one person's allowance a whole address gets: people behind one NAT
# share it, a client that sheds its cookie to start afresh does not get more.
ADDRESS_SHARE = 5


class FanOutEventsMixin:
    """Skip Channels' per-message database clean-up for events that touch no database.

    Channels closes stale database connections before every message it dispatches, a
    hop to a worker thread and back. Events fanned out to thousands of sockets (room
    events, live-bar refreshes) never query the database, so that hop is pure cost;
    `database_sync_to_async` still cleans up around every query the consumer does make.
    """

    fan_out_events: frozenset[str] = frozenset()

    async def dispatch(self, message):
        if message["type"] in self.fan_out_events:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)


class SocketMixin:
    """For AsyncWebsocketConsumer: no send after the close, and rate limits per person.

    A room event can reach a socket between its close (ours or the page's) and the
    disconnect that follows: Daphne then raises, and the whole consumer used to die with a
    traceback. Such a frame has nobody to go to, so it is dropped. A consumer that fails
    all the same, or that Daphne kills for closing too slowly, still leaves its groups and
    its channel (see _let_go_of_channel); join groups with group_join for that.

    Limits live in the shared cache under the person's key, not in the connection, so
    that reconnecting starts no new allowance. `rate_limits` maps a bucket to
    (hits, seconds); `limit_keys` (set on connect) to [(key, share)].
    """

    rate_limits: dict[str, tuple[int, int]] = {}
    closed = False
    joined: frozenset[str] | set[str] = frozenset()
    limit_keys: list[tuple[str, int]] = []

    async def __call__(self, scope, receive, send):
        async def send_unless_closed(message):
            if self.closed:
                return
            if message["type"] == "websocket.close":
                self.closed = True
            try:
                await send(message)
            except Disconnected:
                self.closed = True
                logger.debug("Socket %s closed before a frame could reach it", scope["path"])

        try:
            return await super().__call__(scope, receive, send_unless_closed)
        finally:
            await self._let_go_of_channel()

    async def group_join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined = {*self.joined, group}

    async def group_leave(self, group: str) -> None:
        self.joined = self.joined - {group}
        await self.channel_layer.group_discard(group, self.channel_name)

    async def _let_go_of_channel(self) -> None:
        """Leave the channel layer as a clean exit would, whatever the exit: otherwise the
        process keeps the channel's queue and its Redis subscription for ever (and, after a
        crash or Daphne killing a consumer slow to close, its groups: the queue then fills
        with every later event of the room).

        The layer lets a channel go when a receive on it is cancelled, which Channels does
        only if the consumer was waiting on the layer as it stopped. One that stopped while
        handling a layer event, or whose disconnect came with a room event in the same
        turn of the loop (common while a room churns), never had its receive cancelled."""
        layer = getattr(self, "channel_layer", None)
        channel = getattr(self, "channel_name", None)
        if layer is None or channel is None:
            return
        try:
            for group in self.joined:
                await layer.group_discard(group, channel)
            # channels_redis's pub/sub layer (and the in-memory one) keep a queue per channel;
            # a receive on a channel they no longer hold would subscribe it afresh.
            queues = getattr(layer, "channels", None)
            for _ in range(1000):  # take what is queued until a receive waits, then cancel it
                if not isinstance(queues, dict) or channel not in queues:
                    break
                receiving = asyncio.ensure_future(layer.receive(channel))
                await asyncio.sleep(0)
                if not receiving.done():
                    receiving.cancel()
                    with contextlib.suppress(BaseException):
                        await receiving
                    break
        except BaseException:
            logger.warning("Could not let go of channel %s", channel, exc_info=True)

    async def websocket_disconnect(self, message):
        self.closed = True
        await super().websocket_disconnect(message)

    def client_address(self) -> str:
        """The peer's address (Daphne behind a proxy needs --proxy-headers to see it)."""
        client = self.scope.get("client")
        return client[0] if client else "unknown"

    def person_keys(self, *, user=None, anon_id: str = "") -> list[tuple[str, int]]:
        """Rate-limit keys: a signed-in person by account; anyone else by browser and
        address, with a larger allowance for the whole address."""
        address = self.client_address()
        if user is not None and user.is_authenticated:
            return [(f"user:{user.pk}", 1)]
        browser = f"anon:{anon_id}:{address}" if anon_id else f"cookieless:{address}"
        return [(browser, 1), (f"address:{address}", ADDRESS_SHARE)]

    async def allowed(self, *buckets: str) -> bool:
        """Count one frame against each bucket, for every key of this person."""
        checks = [
            (f"ws:{bucket}:{key}", self.rate_limits[bucket][0] * share, self.rate_limits[bucket][1])
            for bucket in buckets
            for key, share in self.limit_keys
        ]
        return await sync_to_async(_hit_all, thread_sensitive=False)(checks)


def _hit_all(checks) -> bool:
    # Every check counts the hit, even after one refused: a flood spends all allowances.
    results = [hit(key=key, limit=limit, period=period) for key, limit, period in checks]
    return all(results)
