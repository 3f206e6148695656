"""The listening side of benchmarks/media_fanout.py: one speaker and N aiortc listeners.

Run as `python -m benchmarks.media_clients N SECONDS` inside the benchmark's network
namespace, next to a running `manage.py runmedia`. Offers go through the same
channel-layer protocol Django uses (EmbeddedBackend). Prints READY once every
listener is connected and audio flows, then DONE with the packet counts of a window.
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
    received = lost = 0
    for pc in pcs:
        for stats in (await pc.getStats()).values():
            if stats.type == "inbound-rtp":
                received += stats.packetsReceived
                lost += max(stats.packetsLost, 0)
    return received, lost


class _NoDecoder:
    """Listeners here count packets and never play them: skip Opus decoding, which would
    otherwise cost this process more than the media server spends serving them."""

    def decode(self, encoded_frame):
        return []


async def main(listeners: int, seconds: float) -> None:
    import aiortc.rtcrtpreceiver
    from aiortc import RTCPeerConnection

    aiortc.rtcrtpreceiver.get_decoder = lambda codec: _NoDecoder()

    from rooms.media.embedded import EmbeddedBackend
    from tests.rooms.media.tones import ToneTrack

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

    speaker = peer(True)
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
                    participant_id=100 + start + i,
                    session=f"listener-{start + i}",
                    publish=False,
                )
                for i, pc in enumerate(pcs[start : start + CONNECT_BATCH])
            )
        )
    deadline = time.monotonic() + 60
    while not all(pc.connectionState == "connected" for pc in [speaker, *pcs]):
        if time.monotonic() > deadline:
            states = [pc.connectionState for pc in pcs]
            print("FAILED", json.dumps({"connected": states.count("connected")}), flush=True)
            return
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # let every jitter buffer and RTCP report settle

    received0, lost0 = await _counts(pcs)
    cpu0 = time.process_time()
    print("READY", flush=True)
    await asyncio.sleep(seconds)
    received1, lost1 = await _counts(pcs)
    cpu1 = time.process_time()
    print(
        "DONE",
        json.dumps(
            {
                "received": received1 - received0,
                "lost": lost1 - lost0,
                "client_cpu": cpu1 - cpu0,
            }
        ),
        flush=True,
    )
    for pc in [speaker, *pcs]:
        await pc.close()
    for drain in drains:
        drain.cancel()


if __name__ == "__main__":
    django.setup()
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
