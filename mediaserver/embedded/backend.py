"""The embedded backend: Django and `manage.py runmedia` talk over the channel layer.

Requests go to one named channel (`MEDIA_CHANNEL`); an offer carries the reply
channel of the asking process (one per process and event loop) and a request id,
and Django waits for the answer with a timeout. The media server also keeps a key
alive in Redis (`media-alive:<channel>`, refreshed every second, gone 3 s after it
stops): while it is missing, offers are refused at once instead of waiting for the
timeout, so pages retry every couple of seconds and hear audio again within about
3 s of a restarted media server being ready. The channel layer is Redis, which only
the servers reach: the browser never sees a control endpoint. The protocol is
written down in docs/media.md.
"""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from channels.layers import get_channel_layer
from django.conf import settings

from mediaserver.base import MediaBackend, MediaError, MediaUnavailable

logger = logging.getLogger(__name__)

ALIVE_EVERY = 1.0  # seconds between the media server's heartbeats
ALIVE_TTL_MS = 3000  # a media server silent this long is taken for gone


def alive_key(channel: str) -> str:
    return f"media-alive:{channel}"


_redis_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}


def _redis() -> aioredis.Redis:
    """One client per event loop (an asyncio client cannot move between loops)."""
    loop = asyncio.get_running_loop()
    client = _redis_clients.get(loop)
    if client is None:
        for other in [each for each in _redis_clients if each.is_closed()]:
            del _redis_clients[other]
        client = _redis_clients[loop] = aioredis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
    return client


@dataclass
class _Replies:
    """This event loop's reply channel, and the requests waiting for an answer on it."""

    loop: asyncio.AbstractEventLoop
    channel: str
    task: asyncio.Task | None = None
    waiting: dict[str, asyncio.Future] = field(default_factory=dict)


class EmbeddedBackend(MediaBackend):
    def __init__(self, channel: str | None = None, timeout: float | None = None):
        self.channel = channel or settings.MEDIA_CHANNEL
        self.timeout = timeout or settings.MEDIA_ANSWER_TIMEOUT
        self.replies: _Replies | None = None

    async def _tell(self, message: dict) -> None:
        await get_channel_layer().send(self.channel, message)

    async def _reply_channel(self) -> _Replies:
        """One subscription per process and loop, shared by every request (a channel per
        request would leave a Redis subscription behind for each answered offer)."""
        loop = asyncio.get_running_loop()
        replies = self.replies
        if replies is None or replies.loop is not loop or replies.task.done():
            layer = get_channel_layer()
            replies = _Replies(loop=loop, channel=await layer.new_channel(prefix="media-reply."))
            replies.task = loop.create_task(_route_replies(layer, replies))
            self.replies = replies
        return replies

    async def _alive(self) -> bool:
        try:
            return bool(await _redis().exists(alive_key(self.channel)))
        except Exception:
            # Cannot tell: ask anyway, and let the timeout decide.
            logger.warning("Could not check whether the media server is up", exc_info=True)
            return True

    async def _ask(self, message: dict) -> dict:
        if not await self._alive():
            raise MediaUnavailable()
        replies = await self._reply_channel()
        request = uuid.uuid4().hex
        answered = replies.waiting[request] = replies.loop.create_future()
        try:
            await get_channel_layer().send(
                self.channel,
                {
                    **message,
                    "reply_to": replies.channel,
                    "request": request,
                    # The media server drops what it cannot answer before Django gives up.
                    "deadline": time.time() + self.timeout,
                },
            )
            response = await asyncio.wait_for(answered, self.timeout)
        except TimeoutError:
            raise MediaUnavailable() from None
        finally:
            replies.waiting.pop(request, None)
        if response.get("type") == "media.error":
            raise MediaError(
                response.get("message", ""),
                response.get("code", "media_error"),
                response.get("reason", ""),
            )
        return response

    async def speaker_offer(self, *, space_id, participant_id, session, sdp, muted):
        response = await self._ask(
            {
                "type": "media.offer",
                "space": space_id,
                "participant": participant_id,
                "session": session,
                "sdp": sdp,
                "publish": True,
                "muted": muted,
            }
        )
        return response["sdp"]

    async def listener_offer(self, *, space_id, participant_id, session, sdp):
        response = await self._ask(
            {
                "type": "media.offer",
                "space": space_id,
                "participant": participant_id,
                "session": session,
                "sdp": sdp,
                "publish": False,
            }
        )
        return response["sdp"]

    async def session_close(self, *, space_id, session):
        await self._tell({"type": "media.session_close", "space": space_id, "session": session})

    async def mute(self, *, space_id, participant_id, muted):
        await self._tell(
            {"type": "media.mute", "space": space_id, "participant": participant_id, "muted": muted}
        )

    async def remove(self, *, space_id, participant_id, publishing_only=False):
        await self._tell(
            {
                "type": "media.remove",
                "space": space_id,
                "participant": participant_id,
                "publishing_only": publishing_only,
            }
        )

    async def close_room(self, *, space_id):
        await self._tell({"type": "media.close_room", "space": space_id})


async def _route_replies(layer, replies: _Replies) -> None:
    while True:
        message = await layer.receive(replies.channel)
        answered = replies.waiting.pop(message.get("request"), None)
        if answered is not None and not answered.done():
            answered.set_result(message)


# The media server's side ------------------------------------------------------------------


async def serve(server, *, layer=None, channel: str | None = None) -> None:
    """Run the media server's control loop: each request on the channel becomes a call."""
    layer = layer or get_channel_layer()
    channel = channel or settings.MEDIA_CHANNEL
    tasks: set[asyncio.Task] = set()
    heartbeat = asyncio.create_task(_keep_alive(channel))
    tasks.add(heartbeat)
    logger.info("Media server listening on channel %s", channel)
    while True:
        message = await layer.receive(channel)
        task = asyncio.create_task(handle(server, layer, message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def _keep_alive(channel: str) -> None:
    """Tell Django this media server is up: a key that lapses soon after it stops."""
    key = alive_key(channel)
    while True:
        try:
            await _redis().set(key, "1", px=ALIVE_TTL_MS)
        except Exception as exc:
            logger.warning("Media server heartbeat failed: %s", exc)
        await asyncio.sleep(ALIVE_EVERY)


async def handle(server, layer, message: dict) -> None:
    """One control message from Django."""
    kind = message.get("type")
    try:
        if kind == "media.offer":
            await _answer(server, layer, message)
        elif kind == "media.mute":
            await server.mute(
                space_id=message["space"],
                participant_id=message["participant"],
                muted=bool(message["muted"]),
            )
        elif kind == "media.remove":
            await server.remove(
                space_id=message["space"],
                participant_id=message["participant"],
                publishing_only=bool(message.get("publishing_only")),
            )
        elif kind == "media.session_close":
            await server.session_close(space_id=message["space"], session=message["session"])
        elif kind == "media.close_room":
            await server.close_room(space_id=message["space"])
        else:
            logger.warning("Unknown media control message %r", kind)
    except Exception:
        logger.exception("Media control message %r failed", kind)


async def _answer(server, layer, message: dict) -> None:
    if time.time() > message.get("deadline", 0):
        return  # Django has stopped waiting; the browser will offer again
    try:
        sdp = await server.offer(
            space_id=message["space"],
            participant_id=message["participant"],
            session=message["session"],
            sdp=message["sdp"],
            publish=bool(message["publish"]),
            muted=bool(message.get("muted", True)),
        )
    except MediaError as exc:
        reply = {
            "type": "media.error",
            "code": exc.code,
            "message": exc.message,
            "reason": exc.reason,
        }
    else:
        reply = {"type": "media.answer", "sdp": sdp}
    await layer.send(message["reply_to"], {**reply, "request": message.get("request")})
