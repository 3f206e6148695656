"""The room's audio arithmetic, free of any network code: mixing, clipping, speaking.

Audio is 48 kHz mono signed 16-bit, in frames of 20 ms (960 samples), the unit
that Opus carries in WebRTC. The mixer sums in 32 bits and saturates once at the
end, so that two loud speakers clip instead of wrapping round into noise.
"""

from collections import deque
from collections.abc import Hashable, Iterable, Mapping

import numpy as np

SAMPLE_RATE = 48000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
INT16_MIN, INT16_MAX = -32768, 32767
SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)
SILENCE.flags.writeable = False


def clip(samples: np.ndarray) -> np.ndarray:
    """Saturate 32-bit sums to 16-bit samples."""
    return np.clip(samples, INT16_MIN, INT16_MAX).astype(np.int16)


def mix(frames: Mapping[Hashable, np.ndarray]) -> tuple[np.ndarray, dict[Hashable, np.ndarray]]:
    """The room mix of every frame, and for each input the mix of all the others.

    `frames` holds the frames of the unmuted inputs that had audio this tick; an input
    that is muted or late is simply absent (its mix-minus-self is then the room mix).
    """
    if not frames:
        return SILENCE, {}
    total = np.zeros(FRAME_SAMPLES, dtype=np.int32)
    for frame in frames.values():
        total += frame
    minus = {key: clip(total - frame) for key, frame in frames.items()}
    return clip(total), minus


def level_dbfs(frame: np.ndarray) -> float:
    """The frame's RMS level in dB relative to full scale (-inf for digital silence)."""
    rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
    if rms < 1.0:
        return float("-inf")
    return 20.0 * np.log10(rms / INT16_MAX)


class SpeakingDetector:
    """Who is speaking: a level over the threshold turns it on at once, and it stays on
    until `hangover` frames in a row fall below (so that pauses between words do not
    make the ring flicker)."""

    def __init__(self, *, threshold_dbfs: float = -45.0, hangover: int = 20):
        self.threshold = threshold_dbfs
        self.hangover = hangover
        self.quiet_frames: dict[Hashable, int] = {}

    @property
    def speaking(self) -> set[Hashable]:
        return set(self.quiet_frames)

    def update(self, levels: Mapping[Hashable, float], present: Iterable[Hashable]) -> bool:
        """Take one tick's levels (only unmuted inputs with audio), for the inputs still
        present; return whether the set of speakers changed."""
        before = set(self.quiet_frames)
        present = set(present)
        for key in list(self.quiet_frames):
            if key not in present:
                del self.quiet_frames[key]
        for key in present:
            if levels.get(key, float("-inf")) >= self.threshold:
                self.quiet_frames[key] = 0
            elif key in self.quiet_frames:
                self.quiet_frames[key] += 1
                if self.quiet_frames[key] >= self.hangover:
                    del self.quiet_frames[key]
        return set(self.quiet_frames) != before


class InputBuffer:
    """One speaker's decoded audio waiting for the mixer's clock.

    Frames arrive in bursts and at any size; the mixer takes exactly one frame per tick.
    When nothing has arrived the speaker is silent for that tick (late or lost packets).
    Audio arrives exactly as fast as the clock takes it, so a backlog left by a burst
    would never drain by itself and would stay as delay: when the buffer has not once
    run down to a single frame for a whole `window` of ticks, the surplus is dropped.
    It never holds more than `max_frames` either.
    """

    def __init__(self, *, max_frames: int = 5, window: int = 50):
        self.max_samples = max_frames * FRAME_SAMPLES
        self.window = window
        self.chunks: deque[np.ndarray] = deque()
        self.size = 0
        self.low = self.max_samples  # the least audio waiting at a tick, this window
        self.ticks = 0

    def push(self, samples: np.ndarray) -> None:
        self.chunks.append(samples)
        self.size += len(samples)
        if self.size > self.max_samples:
            self._drop(self.size - self.max_samples)

    def pop(self) -> np.ndarray | None:
        """One frame of audio, or None when a whole frame has not arrived yet."""
        self._trim()
        if self.size < FRAME_SAMPLES:
            return None
        parts, needed = [], FRAME_SAMPLES
        while needed:
            head = self.chunks[0]
            if len(head) <= needed:
                parts.append(self.chunks.popleft())
                needed -= len(head)
            else:
                parts.append(head[:needed])
                self.chunks[0] = head[needed:]
                needed = 0
        self.size -= FRAME_SAMPLES
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _trim(self) -> None:
        self.low = min(self.low, self.size)
        self.ticks += 1
        if self.ticks >= self.window:
            surplus = self.low - FRAME_SAMPLES
            if surplus >= FRAME_SAMPLES:
                self._drop(surplus - surplus % FRAME_SAMPLES)
            self.low, self.ticks = self.max_samples, 0

    def _drop(self, count: int) -> None:
        """Forget the oldest `count` samples."""
        while count > 0:
            head = self.chunks[0]
            if len(head) <= count:
                self.chunks.popleft()
                self.size -= len(head)
                count -= len(head)
            else:
                self.chunks[0] = head[count:]
                self.size -= count
                count = 0
