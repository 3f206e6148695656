"""Egress CPU per room: the room mix's Opus packets packaged as HLS, nothing else.

ROOMS egress stages (`mediaserver.egress.hls.HlsEgress`) in one asyncio process, each
fed one 20 ms packet (a libopus-encoded voice-like tone, encoded beforehand) 50 times
a second for SECONDS, as the embedded server's room clock feeds them; segments and
playlists go to a FileSystemStorage in a temporary folder through the writer threads.
CPU = process CPU time (all threads) / wall time / ROOMS. Target (issue 11): under 5 %
of a core per room. The embedded room's one extra Opus encode of the mix (when a
room has no WebRTC listener, it now encodes for the egress) is measured apart.
"""

import asyncio
import os
import tempfile
import time

ROOMS = int(os.environ.get("BENCH_EGRESS_ROOMS", "20"))
SECONDS = float(os.environ.get("BENCH_EGRESS_SECONDS", "20"))


async def _feed(rooms, packets) -> float:
    loop = asyncio.get_running_loop()
    started, cpu = loop.time(), time.process_time()
    ticks = int(SECONDS * 50)
    for tick in range(ticks):
        payload, _timestamp = packets[tick % len(packets)]
        for egress in rooms:
            egress.feed(payload, tick * 960)
        delay = started + (tick + 1) * 0.02 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
    wall = loop.time() - started
    return (time.process_time() - cpu) / wall


async def _main() -> list[str]:
    from django.core.files.storage import FileSystemStorage

    from mediaserver.egress.hls import HlsEgress
    from tests.mediaserver.hls import opus_packets

    packets = opus_packets(220.0, 10.0)
    with tempfile.TemporaryDirectory() as folder:
        storage = FileSystemStorage(location=folder)
        idle = await _idle()
        rooms = [HlsEgress(n, storage=storage) for n in range(ROOMS)]
        for egress in rooms:
            egress.start()
        busy = await _feed(rooms, packets)
        for egress in rooms:
            await egress.close()
        written = sum(egress.stats.written for egress in rooms)
    per_room = (busy - idle) / ROOMS
    encode = _encode_cost()
    return [
        f"{ROOMS} rooms, {SECONDS:.0f} s at 50 packets/s: {written} segments written",
        f"process CPU: {busy * 100:.1f} % of a core (idle pacing loop {idle * 100:.1f} %)",
        f"egress per room: {per_room * 100:.2f} % of a core",
        f"one extra Opus encode of the mix per room: {encode * 100:.2f} % of a core",
    ]


async def _idle() -> float:
    """The pacing loop alone, to subtract."""
    loop = asyncio.get_running_loop()
    started, cpu = loop.time(), time.process_time()
    for tick in range(250):
        delay = started + (tick + 1) * 0.02 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
    return (time.process_time() - cpu) / (loop.time() - started)


def _encode_cost() -> float:
    """CPU share of encoding the room mix once every 20 ms (OpusEncoder, as Room.tick)."""
    from mediaserver.embedded.server import OpusEncoder
    from tests.mediaserver.tones import sine

    encoder = OpusEncoder()
    frames = [sine(220.0, 960, start=n * 960) for n in range(50)]
    started = time.process_time()
    for n in range(1000):
        encoder.encode(frames[n % 50], n * 960)
    return (time.process_time() - started) / 1000 / 0.02


def run() -> list[str]:
    return asyncio.run(_main())
