"""The media server replaces aiortc's audio receive buffer through a private attribute:
these fail the day aiortc renames it or stops reading it, instead of speakers silently
becoming ~250 ms late again. No network: RTP packets are handed to the receiver directly."""

import asyncio
import logging

import numpy as np
import pytest
from aiortc import RTCRtpCodecParameters, RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RtpPacket

from mediaserver.embedded import server
from mediaserver.embedded.mixer import FRAME_SAMPLES

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


class FakeTransport:
    """What an RTCRtpReceiver asks of its DTLS transport, with nothing on the wire."""

    state = "connected"
    _stats_id = "transport"

    def _register_rtp_receiver(self, receiver, parameters):
        pass

    def _unregister_rtp_receiver(self, receiver):
        pass

    async def _send_rtp(self, data):
        pass


def opus_packet(sequence: int) -> RtpPacket:
    encoder = server.OpusEncoder()
    tone = np.sin(np.arange(FRAME_SAMPLES) * 2 * np.pi * 440 / 48000) * 8000
    packet = None
    pts = 0
    while packet is None:  # the encoder may want a frame or two before the first packet
        packet = encoder.encode(tone.astype(np.int16), pts)
        pts += FRAME_SAMPLES
    return RtpPacket(
        payload_type=111,
        sequence_number=sequence,
        timestamp=sequence * FRAME_SAMPLES,
        ssrc=1234,
        payload=bytes(packet),
    )


async def first_frame(patched: bool, timeout: float):
    """Hand a fresh receiver ONE Opus packet; return the audio frame it plays, or None."""
    receiver = RTCRtpReceiver("audio", FakeTransport())
    receiver._track = RemoteStreamTrack(kind="audio")
    if patched:
        server.use_arrival_order_buffer(receiver)
    await receiver.receive(RTCRtpReceiveParameters(codecs=[OPUS]))
    try:
        await receiver._handle_rtp_packet(opus_packet(1), arrival_time_ms=0)
        try:
            return await asyncio.wait_for(receiver._track.recv(), timeout)
        except TimeoutError:
            return None
    finally:
        await receiver.stop()


def test_aiortc_keeps_the_audio_buffer_where_the_server_replaces_it():
    receiver = RTCRtpReceiver("audio", FakeTransport())

    assert isinstance(getattr(receiver, server.JITTER_BUFFER_ATTRIBUTE), JitterBuffer)
    assert server.jitter_patch_point_ok()


@pytest.mark.asyncio
async def test_a_patched_receiver_plays_a_packet_as_soon_as_it_arrives():
    frame = await first_frame(patched=True, timeout=2.0)

    assert frame is not None
    assert frame.sample_rate == 48000
    assert frame.samples == FRAME_SAMPLES


@pytest.mark.asyncio
async def test_aiortcs_own_buffer_holds_that_packet_back():
    # The control: without the patch the same lone packet waits for four more, so the
    # test above can only pass through our buffer.
    assert await first_frame(patched=False, timeout=0.5) is None


def test_the_server_says_so_at_start_up_when_the_patch_point_is_gone(monkeypatch, caplog):
    monkeypatch.setattr(server, "JITTER_BUFFER_ATTRIBUTE", "_RTCRtpReceiver__renamed_buffer")

    with caplog.at_level(logging.ERROR, logger="mediaserver.embedded.server"):
        server.MediaServer()

    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "no longer keeps its audio jitter buffer" in record.getMessage()


def test_no_error_at_start_up_while_the_patch_point_is_there(caplog):
    with caplog.at_level(logging.ERROR, logger="mediaserver.embedded.server"):
        server.MediaServer()

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
