"""A bounded WebSocket fuzzer over ws/spaces/<code>/ and ws/me/: whatever a client sends,
the server answers with well-formed frames, keeps the socket open, and never fails (no
1011 close, no exception). Seeded, so a failure replays; bounded in count."""

import json
import math
import random

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from core import consumers as core_consumers
from rooms.consumers import ACTIONS
from rooms.models import Space
from spaces_site.asgi import application
from tests.factories import UserFactory
from tests.rooms.test_consumers import _live_space, _session_for, _socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

FRAMES_PER_SOCKET = 150
SEED = 20261201
ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    2**70,
    -(2**64),
    1.5,
    math.inf,
    "",
    "x" * 5000,
    "0",
    "1e309",
    "NaN",
    "\x00",
    "☃",
    [],
    {},
    [1, 2],
    {"a": 1},
    "v=0\r\n",
    "<script>",
]


def _value(rng, depth=0):
    if depth > 3 or rng.random() < 0.6:
        return rng.choice(ODD_VALUES)
    if rng.random() < 0.5:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["type", "id", "x", "participant"]): _value(rng, depth + 1)}


def _frame(rng, types) -> str:
    """One frame as text: mostly known types with odd fields, sometimes pure junk."""
    roll = rng.random()
    if roll < 0.05:
        return "[" * rng.randint(100, 3000) + "]" * rng.randint(0, 3000)
    if roll < 0.10:
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(0, 200)))
    if roll < 0.15:
        return json.dumps(_value(rng))
    frame = {"type": rng.choice([*types, "nope", "", None, 7])}
    for key in rng.sample(
        [
            "participant",
            "tweet",
            "emoji",
            "muted",
            "listed",
            "sdp",
            "id",
            "publish",
            "ban",
            "policy",
        ],
        rng.randint(0, 4),
    ):
        frame[key] = _value(rng)
    text = json.dumps(frame, allow_nan=True)
    return text if rng.random() < 0.9 else text[: rng.randint(0, len(text))]


@pytest.fixture
def no_rate_limits(monkeypatch):
    """The fuzzer must reach every handler, not the rate limiter."""
    monkeypatch.setattr(core_consumers, "_hit_all", lambda checks: True)


async def _me_socket(user):
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    headers.append((b"cookie", f"sessionid={await _session_for(user)}".encode()))
    socket = WebsocketCommunicator(application, "/ws/me/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _drain(socket) -> list[dict]:
    """Every frame waiting on the socket; a close here fails the test."""
    frames = []
    while not await socket.receive_nothing(timeout=0.05):
        message = await socket.output_queue.get()
        assert message["type"] == "websocket.send", f"the server closed the socket: {message}"
        frames.append(json.loads(message["text"]))
    return frames


async def _next_of_type(socket, kind, timeout=3):
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def _fuzz(socket, rng, types):
    for _ in range(FRAMES_PER_SOCKET):
        await socket.send_to(text_data=_frame(rng, types))
        for frame in await _drain(socket):
            assert isinstance(frame.get("type"), str), frame
            if frame["type"] == "error":
                assert frame["code"], frame
                assert frame["message"], frame


async def test_room_sockets_survive_any_frame(no_rate_limits):
    host, space = await _live_space()
    rng = random.Random(SEED)
    anonymous = await _socket(space.code)
    # space.end is left out: ending the Space would close the sockets on purpose.
    types = [name for name in ACTIONS if name not in {"space.end", "leave"}]
    await _fuzz(anonymous, rng, types)
    hosting = await _socket(space.code, host)
    await _fuzz(hosting, rng, types)

    # Both sockets still work: a ping is answered.
    for socket in (anonymous, hosting):
        await socket.send_json_to({"type": "ping"})
        assert await _next_of_type(socket, "pong")
        await socket.disconnect()
    state = await database_sync_to_async(lambda: Space.objects.get(pk=space.pk).state)()
    assert state == Space.State.LIVE


async def test_the_personal_socket_survives_any_frame(no_rate_limits):
    person = await database_sync_to_async(UserFactory)(handle="fuzzy")
    socket = await _me_socket(person)
    await _fuzz(socket, random.Random(SEED + 1), ["ping"])
    await socket.disconnect()
