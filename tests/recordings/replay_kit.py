"""Real recordings for replay tests: samples encoded by libopus, packaged by the real
egress, with the wall clock of each packet chosen (the PROGRAM-DATE-TIME it stamps)."""

import fractions
import threading
import time
from unittest import mock

import av
import numpy as np
from asgiref.sync import async_to_sync
from django.db import connections

from mediaserver.egress import hls
from mediaserver.egress.hls import HlsEgress

RATE, FRAME = 48000, 960


def tone(seconds: float, frequency: float = 440.0, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def encode(samples: np.ndarray) -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate, codec.format, codec.layout = 32000, "s16", "mono"
    codec.sample_rate, codec.time_base = RATE, fractions.Fraction(1, RATE)
    count = len(samples) // FRAME
    packets = []
    for index in range(count):
        frame = av.AudioFrame.from_ndarray(
            samples[index * FRAME : (index + 1) * FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = RATE, index * FRAME
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets[:count]


def record(space_id: int, samples: np.ndarray, *, wall_start: float) -> None:
    """Package `samples` as the room mix of a Space whose first sample was mixed at
    `wall_start` (epoch): each segment's date is when its first packet would have come.
    Runs the egress in a thread of its own (its signals find no Space there: fine)."""
    clock = {"now": wall_start}

    async def write():
        egress = HlsEgress(space_id, segment_seconds=2)
        egress.start()
        for index, payload in enumerate(encode(samples)):
            clock["now"] = wall_start + index * FRAME / RATE
            egress.feed(payload, index * FRAME)
        await egress.close(ended=True)

    class Clock:  # the egress module's `time`, with the wall clock chosen
        def __getattr__(self, name):
            return getattr(time, name)

        def time(self):
            return clock["now"]

    def run():
        with mock.patch.object(hls, "time", Clock()):
            async_to_sync(write)()
        connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
