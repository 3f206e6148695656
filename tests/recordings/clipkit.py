"""Real Opus recordings for clip tests: a signal encoded by libopus and packaged exactly as
the egress does (init segment, 2 s fMP4 segments, index.m3u8), through the same storage."""

import fractions

import av
import numpy as np
from django.core.files.base import ContentFile

from mediaserver.egress import fmp4
from recordings import files
from recordings.models import storage_prefix
from tests.mediaserver.tones import sine

RATE = 48000
FRAME = 960
SEGMENT_PACKETS = 100  # 2 s


def encode(signal: np.ndarray) -> list[bytes]:
    """int16 mono samples (a multiple of 20 ms) as libopus packets."""
    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate = 48000
    codec.format = "s16"
    codec.layout = "mono"
    codec.sample_rate = RATE
    codec.time_base = fractions.Fraction(1, RATE)
    packets = []
    count = len(signal) // FRAME
    for index in range(count):
        chunk = signal[index * FRAME : (index + 1) * FRAME]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = index * FRAME
        packets.extend(bytes(p) for p in codec.encode(frame))
    packets.extend(bytes(p) for p in codec.encode(None))
    return packets[:count]


def tone_after(seconds: float, onset: float, *, frequency: float = 440.0) -> np.ndarray:
    """Silence, then a tone from `onset` seconds: the recording's audio (before encoding)."""
    total = round(seconds * RATE)
    signal = np.zeros(total, dtype=np.int16)
    begin = round(onset * RATE)
    signal[begin:] = sine(frequency, total - begin, start=0)
    return signal


def write_recording(space_id: int, signal: np.ndarray, *, ended: bool = True) -> str:
    """Package the encoded signal as the egress would, under hls/<space_id>/."""
    store = files.storage()
    prefix = storage_prefix(space_id)
    packets = encode(signal)
    store.save(prefix + "init.mp4", ContentFile(fmp4.init_segment()))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-MEDIA-SEQUENCE:0",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    for number, first in enumerate(range(0, len(packets), SEGMENT_PACKETS)):
        chunk = packets[first : first + SEGMENT_PACKETS]
        data = fmp4.media_segment(number + 1, first * FRAME, chunk, [FRAME] * len(chunk))
        name = f"seg-{number:06d}.m4s"
        store.save(prefix + name, ContentFile(data))
        lines += [f"#EXTINF:{len(chunk) * FRAME / RATE:.5f},", name]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    store.save(prefix + "index.m3u8", ContentFile(("\n".join(lines) + "\n").encode()))
    return prefix


def onset(samples: np.ndarray, *, threshold: float = 0.05) -> int:
    """The first sample where the decoded signal (floats, ±1) gets loud."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return int(loud[0]) if len(loud) else -1
