"""The embedded media server with real aiortc peers: tones in, an FFT of what listeners hear.

Runs inside a network namespace of its own (see tests/conftest.py), where ICE can
only reach loopback.
"""

import asyncio

import pytest

from mediaserver.base import MediaError
from tests.mediaserver.conftest import connect, offer_sdp, wait_connected
from tests.mediaserver.tones import ToneTrack, peaks, rms

pytestmark = [pytest.mark.netns, pytest.mark.asyncio]

LOW, HIGH, OTHER = 440.0, 1250.0, 2500.0


async def test_it_mixes_two_speakers_for_a_listener_and_mutes_one_at_the_server(media_server):
    one = await connect(media_server, participant_id=1, publish=True, tone=LOW, muted=False)
    two = await connect(media_server, participant_id=2, publish=True, tone=HIGH, muted=False)
    listener = await connect(media_server, participant_id=3, publish=False)
    await wait_connected(one, two, listener)
    await asyncio.sleep(1.0)  # let the jitter buffers fill

    heard = await listener.recorder.record(1.5)
    both = peaks(heard, [LOW, HIGH])
    assert both[LOW] > 0.2, both
    assert both[HIGH] > 0.2, both

    await media_server.mute(space_id=1, participant_id=2, muted=True)
    await asyncio.sleep(0.3)
    heard = await listener.recorder.record(1.5)
    only = peaks(heard, [LOW, HIGH])
    assert only[LOW] > 0.8, only
    assert only[HIGH] < 0.01, only

    for client in (one, two, listener):
        await client.close()


async def test_it_sends_each_speaker_the_others_but_not_themselves(media_server):
    one = await connect(media_server, participant_id=1, publish=True, tone=LOW, muted=False)
    two = await connect(media_server, participant_id=2, publish=True, tone=HIGH, muted=False)
    await wait_connected(one, two)
    await asyncio.sleep(1.0)

    heard_by_one = peaks(await one.recorder.record(1.5), [LOW, HIGH])
    assert heard_by_one[HIGH] > 0.8, heard_by_one
    assert heard_by_one[LOW] < 0.01, heard_by_one
    heard_by_two = peaks(two.recorder.samples(), [LOW, HIGH])
    assert heard_by_two[LOW] > 0.8, heard_by_two

    await one.close()
    await two.close()


async def test_it_refuses_a_listeners_microphone(media_server):
    speaker = await connect(media_server, participant_id=1, publish=True, tone=LOW, muted=False)
    sneaky = await connect(media_server, participant_id=2, publish=False, tone=OTHER)
    listener = await connect(media_server, participant_id=3, publish=False)
    await wait_connected(speaker, sneaky, listener)

    assert "a=sendonly" in sneaky.answer
    await asyncio.sleep(1.0)
    heard = peaks(await listener.recorder.record(1.5), [LOW, OTHER])
    assert heard[OTHER] < 0.01, heard
    assert heard[LOW] > 0.8, heard
    # The sneaky listener hears the room like everyone else.
    assert peaks(sneaky.recorder.samples(), [LOW])[LOW] > 0.8

    for client in (speaker, sneaky, listener):
        await client.close()


async def test_it_cuts_a_removed_speaker_at_once_and_reports_who_speaks(media_server):
    speaker = await connect(media_server, participant_id=7, publish=True, tone=LOW, muted=False)
    listener = await connect(media_server, participant_id=8, publish=False)
    await wait_connected(speaker, listener)
    await asyncio.sleep(1.0)
    assert (1, [7]) in media_server.speaking_events

    await media_server.remove(space_id=1, participant_id=7, publishing_only=True)
    assert speaker.pc.connectionState == "connected"  # the server hung up, not the client
    await asyncio.sleep(0.3)
    heard = await listener.recorder.record(1.0)
    assert rms(heard) < 50
    assert media_server.speaking_events[-1] == (1, [])

    await speaker.close()
    await listener.close()


async def test_an_unmute_that_overtakes_the_offer_still_counts(media_server):
    # The speaker unmuted while their offer (read as muted) was on its way.
    await media_server.mute(space_id=1, participant_id=1, muted=False)
    speaker = await connect(media_server, participant_id=1, publish=True, tone=LOW, muted=True)
    listener = await connect(media_server, participant_id=2, publish=False)
    await wait_connected(speaker, listener)
    await asyncio.sleep(1.0)

    assert peaks(await listener.recorder.record(1.0), [LOW])[LOW] > 0.8

    for client in (speaker, listener):
        await client.close()


@pytest.mark.parametrize(
    "sdp",
    ["", "hello", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 123],
)
async def test_it_refuses_an_offer_that_is_not_valid(media_server, sdp):
    with pytest.raises(MediaError) as refused:
        await media_server.offer(space_id=1, participant_id=1, session="x", sdp=sdp, publish=False)
    assert refused.value.code == "bad_sdp"


async def test_it_refuses_an_offer_without_audio(media_server):
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    sdp = await offer_sdp(pc)
    with pytest.raises(MediaError) as refused:
        await media_server.offer(space_id=1, participant_id=1, session="x", sdp=sdp, publish=False)
    assert refused.value.message == "The offer has no audio."
    await pc.close()


async def test_a_page_that_hangs_up_while_its_answer_is_made_leaves_nothing_behind(media_server):
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    sdp = await offer_sdp(pc)
    answering = asyncio.ensure_future(
        media_server.offer(space_id=1, participant_id=1, session="s1", sdp=sdp, publish=False)
    )
    await asyncio.sleep(0)  # the offer has started
    await media_server.session_close(space_id=1, session="s1")

    with pytest.raises(MediaError) as refused:
        await answering
    assert refused.value.code == "session_closed"
    assert media_server.rooms == {}
    await pc.close()


async def test_an_offer_for_a_room_that_closes_meanwhile_is_refused(media_server):
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    sdp = await offer_sdp(pc)
    answering = asyncio.ensure_future(
        media_server.offer(space_id=1, participant_id=1, session="s1", sdp=sdp, publish=False)
    )
    await asyncio.sleep(0)
    await media_server.close_room(space_id=1)

    with pytest.raises(MediaError):
        await answering
    assert media_server.rooms == {}
    await pc.close()


async def test_a_mute_that_lands_while_the_answer_is_made_still_counts(media_server):
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTrack(ToneTrack(LOW))
    sdp = await offer_sdp(pc)
    answering = asyncio.ensure_future(
        media_server.offer(
            space_id=1, participant_id=1, session="s1", sdp=sdp, publish=True, muted=False
        )
    )
    await asyncio.sleep(0)
    await media_server.mute(space_id=1, participant_id=1, muted=True)
    await answering

    assert media_server.rooms[1].sessions["s1"].muted is True
    await pc.close()


async def test_a_connection_that_never_comes_up_is_let_go(media_server, monkeypatch):
    from aiortc import RTCPeerConnection

    from mediaserver.embedded import server

    monkeypatch.setattr(server, "CONNECT_DEADLINE_SECONDS", 0.5)
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    sdp = await offer_sdp(pc)
    await media_server.offer(space_id=1, participant_id=1, session="s1", sdp=sdp, publish=False)
    await pc.close()  # the page went away before it used the answer
    assert list(media_server.rooms[1].sessions) == ["s1"]

    await asyncio.sleep(1.0)

    assert media_server.rooms == {}
