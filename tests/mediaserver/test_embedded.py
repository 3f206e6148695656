"""Django and `runmedia` talking over the real channel layer (Redis pub/sub)."""

import asyncio
import uuid

import pytest
import pytest_asyncio
from channels.layers import get_channel_layer

from mediaserver.base import MediaError, MediaUnavailable
from mediaserver.embedded.backend import EmbeddedBackend, _redis, alive_key, serve

pytestmark = pytest.mark.asyncio


class StubServer:
    """Stands in for the aiortc server: records calls, answers offers."""

    def __init__(self):
        self.calls = []

    async def offer(self, **kwargs):
        self.calls.append(("offer", kwargs))
        if kwargs["sdp"] == "bad":
            raise MediaError("This offer is not a valid session description.", "bad_sdp")
        await asyncio.sleep(0.05 if kwargs["session"] == "slow" else 0)
        return f"v=0 answer to {kwargs['session']}"

    async def mute(self, **kwargs):
        self.calls.append(("mute", kwargs))

    async def remove(self, **kwargs):
        self.calls.append(("remove", kwargs))

    async def session_close(self, **kwargs):
        self.calls.append(("session_close", kwargs))

    async def close_room(self, **kwargs):
        self.calls.append(("close_room", kwargs))


@pytest_asyncio.fixture
async def running():
    channel = f"media.test{uuid.uuid4().hex[:8]}"
    server = StubServer()
    task = asyncio.ensure_future(serve(server, layer=get_channel_layer(), channel=channel))
    await asyncio.sleep(0.2)  # subscribed
    yield EmbeddedBackend(channel=channel, timeout=3), server
    task.cancel()


async def _until(predicate, timeout=3.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_an_offer_goes_to_the_media_server_and_its_answer_comes_back(running):
    backend, server = running

    answer = await backend.speaker_offer(
        space_id=1, participant_id=2, session="abc", sdp="v=0 offer", muted=True
    )

    assert answer == "v=0 answer to abc"
    assert server.calls == [
        (
            "offer",
            {
                "space_id": 1,
                "participant_id": 2,
                "session": "abc",
                "sdp": "v=0 offer",
                "publish": True,
                "muted": True,
            },
        )
    ]


async def test_offers_at_once_each_get_their_own_answer_on_one_reply_channel(running):
    backend, _server = running
    sessions = ["slow", "a", "b", "c"]

    answers = await asyncio.gather(
        *(
            backend.listener_offer(space_id=1, participant_id=2, session=s, sdp="v=0")
            for s in sessions
        )
    )

    assert answers == [f"v=0 answer to {s}" for s in sessions]
    channel = backend.replies.channel
    await backend.listener_offer(space_id=1, participant_id=2, session="d", sdp="v=0")
    assert backend.replies.channel == channel
    assert backend.replies.waiting == {}


async def test_a_refusal_comes_back_as_an_error(running):
    backend, _server = running

    with pytest.raises(MediaError) as refused:
        await backend.listener_offer(space_id=1, participant_id=2, session="abc", sdp="bad")

    assert refused.value.code == "bad_sdp"


async def test_commands_reach_the_media_server(running):
    backend, server = running

    await backend.mute(space_id=1, participant_id=2, muted=True)
    await backend.remove(space_id=1, participant_id=3, publishing_only=True)
    await backend.close_room(space_id=1)
    await _until(lambda: len(server.calls) == 3)

    assert server.calls == [
        ("mute", {"space_id": 1, "participant_id": 2, "muted": True}),
        ("remove", {"space_id": 1, "participant_id": 3, "publishing_only": True}),
        ("close_room", {"space_id": 1}),
    ]


async def test_no_media_server_means_unavailable_after_the_timeout():
    backend = EmbeddedBackend(channel=f"media.nobody{uuid.uuid4().hex[:8]}", timeout=0.5)

    with pytest.raises(MediaUnavailable) as unavailable:
        await backend.listener_offer(space_id=1, participant_id=2, session="x", sdp="v=0")

    assert unavailable.value.code == "media_unavailable"


async def test_offers_are_refused_at_once_while_no_media_server_is_up():
    """No heartbeat on the channel: the offer fails in well under the answer timeout, so
    that pages retry soon and hear audio shortly after a media server comes back."""
    backend = EmbeddedBackend(channel=f"media.test{uuid.uuid4().hex[:8]}", timeout=3)
    started = asyncio.get_running_loop().time()

    with pytest.raises(MediaUnavailable):
        await backend.listener_offer(space_id=1, participant_id=2, session="abc", sdp="v=0")

    assert asyncio.get_running_loop().time() - started < 1.0


async def test_a_stopped_media_server_is_taken_for_gone_within_three_seconds(running):
    backend, _server = running
    key = alive_key(backend.channel)
    assert await _redis().exists(key) == 1

    ttl = await _redis().pttl(key)

    assert 0 < ttl <= 3000
