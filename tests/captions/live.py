"""Live captions end to end, without a browser: aiortc speakers that say known sentences
into the real media server, the real captions worker as a `manage.py runcaptions`
process, and a listener on the Space's channel-layer group (what its WebSocket relays).

Used by tests/captions/test_attribution.py and benchmarks/captions_latency.py; WebRTC
needs the loopback-only network namespace (scripts/in-netns).
"""

import asyncio
import fractions
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from channels.layers import get_channel_layer

from tests.captions.speech import speech

ROOT = Path(__file__).resolve().parents[2]
RATE = 48000
FRAME = 960
TIME_BASE = fractions.Fraction(1, RATE)
SPEECH_LEVEL = 300  # a sample louder than this is speech (the end of a phrase is the last)


class SpeechTrack(MediaStreamTrack):
    """A microphone, paced in real time: quiet until `say` queues a sentence."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.pending = np.zeros(0, dtype=np.int16)
        self.sent = 0
        self.started: float | None = None
        self.saying: list[tuple[int, asyncio.Future]] = []  # (sample where speech ends, done)

    def say(self, text: str, language: str = "en") -> asyncio.Future:
        """Queue the sentence; the future gets the wall-clock time its last word ended."""
        samples = speech(text, language, RATE)
        loud = np.flatnonzero(np.abs(samples) > SPEECH_LEVEL)
        end = self.sent + len(self.pending) + (int(loud[-1]) + 1 if len(loud) else len(samples))
        self.pending = np.concatenate([self.pending, samples])
        done = asyncio.get_running_loop().create_future()
        self.saying.append((end, done))
        return done

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.started is None:
            self.started = time.monotonic()
        wait = self.started + self.sent / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        samples = np.zeros(FRAME, dtype=np.int16)
        take = self.pending[:FRAME]
        samples[: len(take)] = take
        self.pending = self.pending[FRAME:]
        now = time.time()
        for end, done in list(self.saying):
            if end <= self.sent + FRAME:
                self.saying.remove((end, done))
                if not done.done():
                    done.set_result(now + (end - self.sent) / RATE)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.sent
        frame.time_base = TIME_BASE
        self.sent += FRAME
        return frame


async def speaker_connect(server, *, space_id: int, participant_id: int):
    """An aiortc speaker on the media server, unmuted; returns (pc, its SpeechTrack)."""
    pc = RTCPeerConnection()
    track = SpeechTrack()
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    answer = await server.offer(
        space_id=space_id,
        participant_id=participant_id,
        session=f"speaker-{participant_id}",
        sdp=pc.localDescription.sdp,
        publish=True,
        muted=False,
    )
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, track


async def connected(*pcs, timeout: float = 15.0) -> None:
    async def one(pc):
        while pc.connectionState != "connected":
            await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(*(one(pc) for pc in pcs)), timeout)


def free_udp_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def worker_start(env: dict, log: Path, timeout: float = 60.0) -> subprocess.Popen:
    """`manage.py runcaptions`, once it listens (its output goes to `log`)."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runcaptions"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    seen = log.stat().st_size if log.exists() else 0
    while b"Captions worker listening" not in log.read_bytes()[seen:]:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"runcaptions did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return process


def worker_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Listener:
    """The Space's group on the channel layer, as its WebSocket consumer hears it."""

    def __init__(self, group: str):
        self.group = group
        self.events: list[tuple[float, dict]] = []  # (arrival time.time(), frame)
        self.task: asyncio.Task | None = None

    async def __aenter__(self):
        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.task = asyncio.ensure_future(self._receive())
        return self

    async def _receive(self):
        while True:
            message = await self.layer.receive(self.channel)
            self.events.append((time.time(), message))

    async def __aexit__(self, *exc):
        self.task.cancel()
        await self.layer.group_discard(self.group, self.channel)

    def finals(self) -> list[tuple[float, dict]]:
        return [
            (at, message["data"])
            for at, message in self.events
            if message.get("event") == "captions.final"
        ]

    async def final(self, predicate, timeout: float, *, since: int = 0):
        """(arrival, data) of the first captions.final whose data satisfies `predicate`,
        from the `since`-th final on, waiting for it; None when none came in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, data in self.finals()[since:]:
                if predicate(data):
                    return at, data
            await asyncio.sleep(0.05)
        return None
