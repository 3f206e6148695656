"""The listening side of benchmarks/media_fanout.py: one speaker and N aiortc listeners.

Run as `python -m benchmarks.media_clients N SECONDS FIRST_ID SPEAKER` inside the
benchmark's network namespace, next to a running `manage.py runmedia`. Offers go
through the same channel-layer protocol Django uses (EmbeddedBackend). Prints READY
once every listener is connected and audio flows, waits for a line on stdin (so that
several client processes measure the same window), then prints DONE with the packet
counts of a SECONDS-long window.
"""

import asyncio
import json
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")

SPACE_ID = 1
CONNECT_BATCH = 10


async def _offer(backend, pc, **ids) -> None:
    from aiortc import RTCSessionDescription

    await pc.setLocalDescription(await pc.createOffer())
    if ids.pop("publish"):
        answer = await backend.speaker_offer(sdp=pc.localDescription.sdp, muted=False, **ids)
    else:
        answer = await backend.listener_offer(sdp=pc.localDescription.sdp, **ids)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


async def _drain(track) -> None:
    from aiortc.mediastreams import MediaStreamError

    try:
        while True:
            await track.recv()
    except MediaStreamError:
        pass


async def _counts(pcs) -> tuple[int, int]:
    counters = [COUNTERS.get(id(t.receiver)) for pc in pcs for t in pc.getTransceivers()]
    return (
        sum(c.received for c in counters if c),
        sum(c.lost for c in counters if c),
    )


class _Counter:
    """What one listener received: packets, and the span of sequence numbers they cover."""

    def __init__(self):
        self.received = 0
        self.first = None
        self.highest = None

    def add(self, sequence_number: int) -> None:
        self.received += 1
        if self.first is None:
            self.first = self.highest = sequence_number
            return
        ahead = (sequence_number - self.highest) % 65536
        if ahead < 32768:
            self.highest += ahead
        # (a late packet only counts as received)

    @property
    def lost(self) -> int:
        if self.first is None:
            return 0
        return max(self.highest - self.first + 1 - self.received, 0)


COUNTERS: dict[int, _Counter] = {}


async def _count_packet(receiver, packet, arrival_time_ms) -> None:
    """Listeners here count packets and never play them. Past DTLS and SRTP, aiortc's own
    receive path (statistics, jitter buffer, Opus decoding) would cost this process more
    than the media server spends serving them, so it is replaced by a counter."""
    COUNTERS.setdefault(id(receiver), _Counter()).add(packet.sequence_number)


async def main(listeners: int, seconds: float, first_id: int, with_speaker: bool) -> None:
    from aiortc import RTCPeerConnection, RTCRtpReceiver

    RTCRtpReceiver._handle_rtp_packet = _count_packet

    from mediaserver.embedded.backend import EmbeddedBackend
    from tests.mediaserver.tones import ToneTrack

    backend = EmbeddedBackend(timeout=30)
    drains = []

    def peer(publish: bool) -> RTCPeerConnection:
        pc = RTCPeerConnection()
        pc.on("track", lambda track: drains.append(asyncio.ensure_future(_drain(track))))
        if publish:
            pc.addTrack(ToneTrack(440))
        else:
            pc.addTransceiver("audio", direction="recvonly")
        return pc

    speakers = [peer(True)] if with_speaker else []
    for speaker in speakers:
        await _offer(
            backend, speaker, space_id=SPACE_ID, participant_id=1, session="speaker", publish=True
        )
    pcs = [peer(False) for _ in range(listeners)]
    for start in range(0, listeners, CONNECT_BATCH):
        await asyncio.gather(
            *(
                _offer(
                    backend,
                    pc,
                    space_id=SPACE_ID,
                    participant_id=first_id + start + i,
                    session=f"listener-{first_id + start + i}",
                    publish=False,
                )
                for i, pc in enumerate(pcs[start : start + CONNECT_BATCH])
            )
        )
    deadline = time.monotonic() + 60
    while not all(pc.connectionState == "connected" for pc in [*speakers, *pcs]):
        if time.monotonic() > deadline:
            states = [pc.connectionState for pc in pcs]
            print("FAILED", json.dumps({"connected": states.count("connected")}), flush=True)
            return
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # let every jitter buffer and RTCP report settle

    # Reading the counters of hundreds of connections takes a while: time the window from
    # the start of one reading to the start of the next.
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    wall0 = time.monotonic()
    received0, lost0 = await _counts(pcs)
    cpu0 = time.process_time()
    await asyncio.sleep(seconds)
    wall1 = time.monotonic()
    received1, lost1 = await _counts(pcs)
    cpu1 = time.process_time()
    print(
        "DONE",
        json.dumps(
            {
                "received": received1 - received0,
                "lost": lost1 - lost0,
                "client_cpu": cpu1 - cpu0,
                "client_wall": wall1 - wall0,
            }
        ),
        flush=True,
    )
    for pc in [*speakers, *pcs]:
        await pc.close()
    for drain in drains:
        drain.cancel()


if __name__ == "__main__":
    django.setup()
    listeners, seconds, first_id, with_speaker = sys.argv[1:5]
    asyncio.run(main(int(listeners), float(seconds), int(first_id), with_speaker == "1"))
