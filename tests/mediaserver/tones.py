"""Known tones in, frequencies out: the test kit for live audio."""

import asyncio
import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from mediaserver.embedded.mixer import FRAME_SAMPLES, SAMPLE_RATE

TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


def sine(frequency: float, samples: int, *, start: int = 0, amplitude: int = 8000) -> np.ndarray:
    t = (np.arange(samples) + start) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def peaks(samples: np.ndarray, frequencies, *, band: float = 15.0) -> dict[float, float]:
    """The share of the signal's energy near each frequency (0 to 1)."""
    samples = samples.astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    bins = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    total = spectrum.sum() or 1.0
    return {f: float(spectrum[np.abs(bins - f) < band].sum() / total) for f in frequencies}


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


class ToneTrack(MediaStreamTrack):
    """A microphone that plays a sine wave, paced in real time like a real one."""

    kind = "audio"

    def __init__(self, frequency: float, amplitude: int = 8000):
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self.sent = 0
        self.started: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.started is None:
            self.started = time.monotonic()
        wait = self.started + self.sent / SAMPLE_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        samples = sine(self.frequency, FRAME_SAMPLES, start=self.sent, amplitude=self.amplitude)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.sent
        frame.time_base = TIME_BASE
        self.sent += FRAME_SAMPLES
        return frame


class Recorder:
    """Keeps the last seconds of what a peer connection receives, as mono samples."""

    def __init__(self, track):
        self.track = track
        self.chunks: list[np.ndarray] = []
        self.task = asyncio.ensure_future(self._run())

    async def _run(self):
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            while True:
                frame = await self.track.recv()
                for out in resampler.resample(frame):
                    self.chunks.append(out.to_ndarray().reshape(-1).copy())
        except MediaStreamError:
            pass

    def clear(self):
        self.chunks.clear()

    def samples(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)

    async def record(self, seconds: float) -> np.ndarray:
        """Forget what came before, listen for a while, return what arrived."""
        self.clear()
        await asyncio.sleep(seconds)
        return self.samples()
