"""The embedded media server's egress with a real aiortc speaker: a tone in, HLS out.

Runs inside a network namespace of its own (see tests/conftest.py), where ICE can
only reach loopback.
"""

import pytest

from mediaserver import signals
from mediaserver.egress import storage
from tests.mediaserver.conftest import connect, wait_connected
from tests.mediaserver.hls import decode, parse_m3u8, peak_frequency, until

pytestmark = [pytest.mark.netns, pytest.mark.asyncio]

TONE = 660.0


def read(name: str) -> bytes:
    with storage().open(f"hls/1/{name}") as f:
        return f.read()


def index():
    try:
        return parse_m3u8(read("index.m3u8").decode())
    except FileNotFoundError:
        return None


async def test_a_speakers_tone_comes_out_as_hls_segments(media_server):
    closed = []

    async def on_closed(sender, space_id, segments, duration, **kwargs):
        closed.append((space_id, segments, duration))

    signals.egress_closed.connect(on_closed)
    try:
        speaker = await connect(
            media_server, participant_id=1, publish=True, tone=TONE, muted=False
        )
        await wait_connected(speaker)
        await until(lambda: (playlist := index()) is not None and len(playlist.segments) >= 3, 15)

        playlist = index()
        assert not playlist.ended
        live = parse_m3u8(read("live.m3u8").decode())
        assert live.sequence == 0
        assert [d for d, _u, _x in playlist.segments[:3]] == [2.0, 2.0, 2.0]
        # The third segment is all tone (the first holds the time before ICE came up).
        _d, name, _x = playlist.segments[2]
        heard = decode(read("init.mp4") + read(name))
        assert abs(len(heard.samples) - 96000) <= 960
        assert abs(peak_frequency(heard.samples) - TONE) <= 10

        await speaker.close()
        await media_server.close_room(space_id=1)
        playlist = index()
        assert playlist.ended
        assert closed == [(1, len(playlist.segments), pytest.approx(playlist.duration))]
    finally:
        signals.egress_closed.disconnect(on_closed)
