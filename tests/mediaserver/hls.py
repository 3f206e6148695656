"""Test kit for the egress: Opus packets of a tone, playlists parsed, segments decoded."""

import asyncio
import fractions
import io
from dataclasses import dataclass, field
from datetime import datetime

import av
import numpy as np

from tests.mediaserver.tones import sine

RATE = 48000
FRAME = 960


def opus_packets(frequency: float, seconds: float, *, start_ts: int = 0) -> list[tuple[bytes, int]]:
    """A tone encoded by libopus: (payload, RTP timestamp) per 20 ms packet."""
    codec = av.CodecContext.create("libopus", "w")
    codec.bit_rate = 32000
    codec.format = "s16"
    codec.layout = "mono"
    codec.sample_rate = RATE
    codec.time_base = fractions.Fraction(1, RATE)
    packets = []
    count = round(seconds * RATE / FRAME)
    for index in range(count):
        samples = sine(frequency, FRAME, start=index * FRAME)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = index * FRAME
        for packet in codec.encode(frame):
            packets.append(bytes(packet))
    for packet in codec.encode(None):
        packets.append(bytes(packet))
    packets = packets[:count]
    return [(payload, (start_ts + i * FRAME) & 0xFFFFFFFF) for i, payload in enumerate(packets)]


@dataclass
class Playlist:
    version: int
    target: int
    sequence: int
    map_uri: str | None
    segments: list[tuple[float, str, bool]] = field(default_factory=list)  # (extinf, uri, disc.)
    ended: bool = False
    event: bool = False
    discontinuity_sequence: int = 0
    dates: list[float | None] = field(default_factory=list)  # each segment's PROGRAM-DATE-TIME

    @property
    def duration(self) -> float:
        return sum(d for d, _u, _disc in self.segments)


def parse_m3u8(text: str) -> Playlist:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "#EXTM3U", lines[:1]
    playlist = Playlist(version=0, target=0, sequence=0, map_uri=None)
    duration, discontinuity, date = None, False, None
    for line in lines[1:]:
        if line.startswith("#EXT-X-VERSION:"):
            playlist.version = int(line.split(":")[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            playlist.target = int(line.split(":")[1])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            playlist.sequence = int(line.split(":")[1])
        elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            playlist.discontinuity_sequence = int(line.split(":")[1])
        elif line.startswith("#EXT-X-MAP:"):
            playlist.map_uri = line.split('URI="')[1].split('"')[0]
        elif line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            value = line.split(":", 1)[1]
            assert value.endswith("Z"), line
            date = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        elif line == "#EXT-X-ENDLIST":
            playlist.ended = True
        elif line == "#EXT-X-PLAYLIST-TYPE:EVENT":
            playlist.event = True
        elif not line.startswith("#"):
            assert duration is not None, f"{line} has no EXTINF"
            playlist.segments.append((duration, line, discontinuity))
            playlist.dates.append(date)
            duration, discontinuity, date = None, False, None
    assert playlist.version >= 7
    assert playlist.map_uri == "init.mp4"
    assert all(
        round(d) <= playlist.target and d <= playlist.target for d, _u, _x in playlist.segments
    )
    return playlist


@dataclass
class Decoded:
    samples: np.ndarray
    pts: list[int]  # each decoded frame's pts, in samples
    sizes: list[int]


def decode(data: bytes) -> Decoded:
    """Decode an fMP4 (init + segments) to mono float samples, keeping each frame's pts."""
    chunks, pts, sizes = [], [], []
    with av.open(io.BytesIO(data), format="mp4") as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            chunks.append(
                array.reshape(frame.layout.nb_channels, -1).mean(axis=0)
                if frame.format.is_planar
                else array.reshape(-1)
            )
            pts.append(int(frame.pts * frame.time_base * RATE))
            sizes.append(frame.samples)
    return Decoded(np.concatenate(chunks), pts, sizes)


def peak_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])


async def until(condition, timeout: float = 10.0) -> None:
    """Wait for the writer thread."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)
