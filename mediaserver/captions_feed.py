"""Each speaker's audio for the captions worker: the datagram format and the mixer's tap.

The embedded mixer hands every unmuted speaker's 20 ms frame (48 kHz) to a `CaptionsTap`,
which brings it down to 16 kHz (a 32-tap FIR low-pass and a decimation by 3 in numpy:
10 to 30 µs a frame on the 20 ms clock, measured on a busy 2-core machine), gathers five
frames (100 ms) and sends them as one UDP datagram to settings.CAPTIONS_FEED_ADDRESS,
from a non-blocking socket whose errors are ignored: with no worker listening there are
no captions, and the mixer never waits. The worker (captions/worker.py) reads the same
format with `unpack`.

A datagram is a 32-byte header in network byte order, the samples, then a tag:

    magic    4 bytes   b"SPCF"
    version  1 byte    2
    (pad)    3 bytes
    space    8 bytes   unsigned: the Space's id
    seat     8 bytes   unsigned: the speaker's Participant id
    at       8 bytes   signed: wall-clock time (ms since the epoch) of the first sample
    pcm      ...       mono signed 16-bit little-endian samples at 16 kHz, at most 1 s
    tag      16 bytes  HMAC-SHA256 of everything before it, truncated, keyed with a key
                       derived from settings.SECRET_KEY: the worker drops a datagram
                       whose tag is wrong before reading anything else in it, so that
                       no other local process can speak for a seat (5 µs to sign
                       100 ms of audio, 10 datagrams a second per speaker, measured
                       on a busy 2-core machine)

The time is time.time() at the mixer's tick, the clock of the egress's
EXT-X-PROGRAM-DATE-TIME, so that captions line up with the recording.
"""

import contextlib
import hashlib
import hmac
import logging
import socket
import struct
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

MAGIC = b"SPCF"
VERSION = 2
TAG_SIZE = 16
HEADER = struct.Struct("!4sB3xQQq")
SAMPLE_RATE = 16000
INPUT_RATE = 48000
FACTOR = INPUT_RATE // SAMPLE_RATE
FRAMES_PER_DATAGRAM = 5  # 100 ms: few datagrams, and captions late by at most that
MAX_SAMPLES = SAMPLE_RATE  # a datagram carries at most 1 s
PCM = np.dtype("<i2")


class BadDatagram(ValueError):
    """Not a captions feed datagram (wrong tag, magic, version or size)."""


_keys: dict[str, "hmac.HMAC"] = {}


def _mac() -> "hmac.HMAC":
    """A fresh HMAC-SHA256 keyed for the feed (the keyed state is made once per secret)."""
    secret = settings.SECRET_KEY
    base = _keys.get(secret)
    if base is None:
        key = hashlib.sha256(b"spaces.captions_feed.v2:" + secret.encode()).digest()
        base = _keys[secret] = hmac.new(key, digestmod=hashlib.sha256)
    return base.copy()


def _tag(data: bytes | memoryview) -> bytes:
    mac = _mac()
    mac.update(data)
    return mac.digest()[:TAG_SIZE]


@dataclass(frozen=True)
class Chunk:
    space_id: int
    participant_id: int
    at: float  # epoch seconds of the first sample
    pcm: np.ndarray  # int16 at SAMPLE_RATE, read-only

    @property
    def duration(self) -> float:
        return len(self.pcm) / SAMPLE_RATE


def pack(*, space_id: int, participant_id: int, at: float, pcm: np.ndarray) -> bytes:
    """One datagram: the header, then `pcm` (int16 at 16 kHz, at most 1 s)."""
    if len(pcm) > MAX_SAMPLES:
        raise ValueError("A captions datagram carries at most one second of audio.")
    header = HEADER.pack(MAGIC, VERSION, space_id, participant_id, round(at * 1000))
    data = header + np.asarray(pcm, dtype=PCM).tobytes()
    return data + _tag(data)


def unpack(data: bytes) -> Chunk:
    """Read a datagram; BadDatagram when it is not one of ours."""
    if len(data) < HEADER.size + TAG_SIZE:
        raise BadDatagram("too short")
    signed = memoryview(data)[:-TAG_SIZE]
    if not hmac.compare_digest(_tag(signed), data[-TAG_SIZE:]):
        raise BadDatagram("wrong tag")
    magic, version, space_id, participant_id, at_ms = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadDatagram("wrong magic")
    if version != VERSION:
        raise BadDatagram(f"version {version}")
    body = len(signed) - HEADER.size
    if body == 0 or body % 2 or body // 2 > MAX_SAMPLES:
        raise BadDatagram(f"{body} bytes of audio")
    pcm = np.frombuffer(signed, dtype=PCM, offset=HEADER.size).astype(np.int16)
    pcm.flags.writeable = False
    return Chunk(space_id, participant_id, at_ms / 1000, pcm)


def parse_address(value: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) as a socket address."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"CAPTIONS_FEED_ADDRESS must be host:port, not {value!r}")
    return host.strip("[]"), int(port)


def _lowpass(taps: int = 32, cutoff: float = 6500.0) -> np.ndarray:
    """A windowed-sinc low-pass for 48 kHz, under the 8 kHz Nyquist of 16 kHz (short: a
    little aliasing above 6 kHz costs speech recognition nothing, time on the clock does)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff / INPUT_RATE * n) * np.hamming(taps)
    return (h / h.sum()).astype(np.float32)


LOWPASS = _lowpass()


class Decimator:
    """48 kHz → 16 kHz for one speaker, keeping the filter's history between frames."""

    def __init__(self):
        self.history = np.zeros(len(LOWPASS) - 1, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        x = np.concatenate((self.history, frame.astype(np.float32)))
        # The next frame starts on the same phase when frames are whole multiples of 3.
        usable = len(frame) - len(frame) % FACTOR
        x = x[: usable + len(LOWPASS) - 1]
        self.history = x[usable:].copy()
        # The filter is symmetric: convolving is filtering; keep every third output.
        out = np.convolve(x, LOWPASS, "valid")[::FACTOR]
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


_socket: socket.socket | None = None
_resolved: dict[str, tuple[int, tuple] | str] = {}


def resolve(address: str) -> tuple[int, tuple]:
    """`host:port` as (family, socket address), looked up once per process: a Room is
    made on the media server's event loop, where a DNS lookup must not block. A failure
    is remembered too (ValueError with the reason), and logged once."""
    found = _resolved.get(address)
    if found is None:
        try:
            host, port = parse_address(address)
            info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            found = (info[0], info[4])
        except (OSError, ValueError) as exc:
            found = str(exc)
            logger.error("No captions feed to %s: %s", address, exc)
        _resolved[address] = found
    if isinstance(found, str):
        raise ValueError(found)
    return found


def _shared_socket(family: int) -> socket.socket:
    """One non-blocking UDP socket per process for every room's tap."""
    global _socket
    if _socket is None or _socket.family != family:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        _socket = sock
    return _socket


@dataclass(eq=False)
class _Speaker:
    decimator: Decimator = field(default_factory=Decimator)
    parts: list = field(default_factory=list)
    at: float = 0.0  # wall-clock time of the batch's first frame
    last_pts: int | None = None


class CaptionsTap:
    """One room's feed to the captions worker: `add` each unmuted speaker's frame during
    a tick, then `end_tick`. A speaker missing from a tick (muted, late, gone) has their
    batch sent as it is, so each datagram holds contiguous audio."""

    def __init__(self, space_id: int, address: str | None = None):
        self.space_id = space_id
        address = settings.CAPTIONS_FEED_ADDRESS if address is None else address
        self.address = None  # no address (""): no tap at all, no socket, no resampling
        if address:
            with contextlib.suppress(ValueError):  # logged once, by resolve
                self.family, self.address = resolve(address)
        self.speakers: dict[int, _Speaker] = {}
        self.now: float | None = None
        self.sent = 0  # datagrams handed to the socket (for tests and benchmarks)

    def add(self, participant_id: int, samples: np.ndarray, pts: int) -> None:
        """A speaker's 48 kHz frame of the tick at `pts` (the room's sample clock)."""
        if self.address is None:
            return
        if self.now is None:
            self.now = time.time()
        speaker = self.speakers.get(participant_id)
        if speaker is None:
            speaker = self.speakers[participant_id] = _Speaker()
        if speaker.last_pts == pts:
            return  # a second session of the same seat: the first one speaks for it
        if speaker.last_pts is None or pts - speaker.last_pts != len(samples):
            speaker.decimator = Decimator()  # after a gap, no history from before it
        if not speaker.parts:
            speaker.at = self.now
        speaker.parts.append(speaker.decimator(samples))
        speaker.last_pts = pts
        if len(speaker.parts) >= FRAMES_PER_DATAGRAM:
            self._send(participant_id, speaker)

    def end_tick(self, pts: int) -> None:
        """The tick at `pts` is over: send the batches of speakers who had no frame in it,
        and forget speakers silent for a while."""
        self.now = None
        for participant_id, speaker in list(self.speakers.items()):
            if speaker.last_pts != pts:
                if speaker.parts:
                    self._send(participant_id, speaker)
                else:
                    del self.speakers[participant_id]

    def _send(self, participant_id: int, speaker: _Speaker) -> None:
        pcm = np.concatenate(speaker.parts)
        speaker.parts = []
        data = pack(space_id=self.space_id, participant_id=participant_id, at=speaker.at, pcm=pcm)
        try:
            _shared_socket(self.family).sendto(data, self.address)
            self.sent += 1
        except OSError:
            pass  # no worker, or its buffer is full: no captions for this moment
