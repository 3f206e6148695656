"""`listeners_full` and its reason cross the channel layer between `runmedia` and Django."""

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer

from mediaserver.base import ListenersFull, MediaError
from mediaserver.embedded.backend import EmbeddedBackend, serve

pytestmark = pytest.mark.asyncio


class FullServer:
    async def offer(self, **kwargs):
        raise ListenersFull("saturated")


async def test_the_refusal_and_its_reason_reach_django():
    channel = f"media.test{uuid.uuid4().hex[:8]}"
    task = asyncio.ensure_future(serve(FullServer(), layer=get_channel_layer(), channel=channel))
    await asyncio.sleep(0.2)  # subscribed
    try:
        with pytest.raises(MediaError) as refused:
            await EmbeddedBackend(channel=channel, timeout=3).listener_offer(
                space_id=1, participant_id=1, session="s", sdp="v=0"
            )
    finally:
        task.cancel()

    assert (refused.value.code, refused.value.reason) == ("listeners_full", "saturated")
    assert refused.value.message == "This Space is full for live audio."
