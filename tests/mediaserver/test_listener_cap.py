"""The WebRTC listener cap and saturation in the embedded media server: a listener past
them is refused with `listeners_full` (the page then listens over HLS); speakers never are.

Real aiortc peers, so inside a network namespace (see tests/conftest.py)."""

import asyncio

import pytest

from mediaserver.base import ListenersFull, MediaError
from mediaserver.embedded.server import MediaServer
from tests.mediaserver.conftest import connect, wait_connected

pytestmark = [pytest.mark.netns, pytest.mark.asyncio]


async def _refused(server, **kwargs) -> MediaError:
    with pytest.raises(ListenersFull) as refused:
        await connect(server, **kwargs)
    return refused.value


async def test_past_the_cap_a_listener_is_refused_and_speakers_still_come_in():
    server = MediaServer(make_egress=None, listener_cap=1, max_lateness=1.0)
    try:
        first = await connect(server, participant_id=1, publish=False)
        refusal = await _refused(server, participant_id=2, publish=False)
        speaker = await connect(server, participant_id=3, publish=True, tone=440.0, muted=False)
        await wait_connected(first, speaker)

        assert (refusal.code, refusal.reason) == ("listeners_full", "cap")
        assert server.rooms[1].listeners() == 1
        # Another Space has a cap of its own.
        other = await connect(server, participant_id=4, publish=False, space_id=2)
        # A listener already in offers again (a reconnect) and keeps their place.
        again = await connect(server, participant_id=1, publish=False)
        for client in (first, speaker, other, again):
            await client.close()
    finally:
        await server.close()


async def test_a_cap_of_zero_sends_every_listener_away_even_before_the_room_opens():
    server = MediaServer(make_egress=None, listener_cap=0, max_lateness=1.0)
    try:
        refusal = await _refused(server, participant_id=1, publish=False)
        assert refusal.reason == "cap"
        assert server.rooms == {}  # the refusal left nothing behind
        speaker = await connect(server, participant_id=2, publish=True, tone=440.0)
        await speaker.close()
    finally:
        await server.close()


async def test_a_listener_who_leaves_frees_a_place():
    server = MediaServer(make_egress=None, listener_cap=1, max_lateness=1.0)
    try:
        first = await connect(server, participant_id=1, publish=False)
        await server.session_close(space_id=1, session="s1")
        await first.close()
        second = await connect(server, participant_id=2, publish=False)
        await second.close()
    finally:
        await server.close()


async def test_too_many_sessions_in_all_is_saturated():
    server = MediaServer(make_egress=None, listener_cap=100, max_sessions=2, max_lateness=1.0)
    try:
        one = await connect(server, participant_id=1, publish=False, space_id=1)
        two = await connect(server, participant_id=2, publish=True, tone=440.0, space_id=2)

        refusal = await _refused(server, participant_id=3, publish=False, space_id=3)
        assert refusal.reason == "saturated"
        # A listener already in offers again (a reconnect): not counted against itself.
        again = await connect(server, participant_id=1, publish=False, space_id=1)
        await wait_connected(again)
        # A speaker still comes in on a saturated server.
        three = await connect(server, participant_id=4, publish=True, tone=440.0, space_id=1)
        for client in (one, two, again, three):
            await client.close()
    finally:
        await server.close()


async def test_a_late_mix_clock_is_saturated():
    server = MediaServer(make_egress=None, listener_cap=100, max_lateness=0.01)
    try:
        speaker = await connect(server, participant_id=1, publish=True, tone=440.0)
        await connect(server, participant_id=2, publish=False)
        room = server.rooms[1]

        # A loop that cannot keep time: every tick blocks the loop for 50 ms.
        tick = room.tick

        def slow_tick():
            tick()
            deadline = asyncio.get_running_loop().time() + 0.05
            while asyncio.get_running_loop().time() < deadline:
                pass

        room.tick = slow_tick
        await asyncio.sleep(3.0)
        assert room.lateness > 0.01, room.lateness

        refusal = await _refused(server, participant_id=3, publish=False)
        assert refusal.reason == "saturated"
        room.tick = tick
        await speaker.close()
    finally:
        await server.close()


async def test_the_clock_on_time_is_not_saturated():
    server = MediaServer(make_egress=None, listener_cap=100, max_lateness=0.025)
    try:
        speaker = await connect(server, participant_id=1, publish=True, tone=440.0)
        await asyncio.sleep(1.0)
        assert server.rooms[1].lateness < 0.025
        assert not server.saturated()
        listener = await connect(server, participant_id=2, publish=False)
        for client in (speaker, listener):
            await client.close()
    finally:
        await server.close()


async def test_the_settings_are_the_defaults(settings):
    settings.WEBRTC_LISTENER_CAP = 7
    settings.MEDIA_MAX_SESSIONS = 11
    settings.MEDIA_MAX_LATENESS = 0.02
    server = MediaServer(make_egress=None)

    assert (server.listener_cap, server.max_sessions, server.max_lateness) == (7, 11, 0.02)
    await server.close()
