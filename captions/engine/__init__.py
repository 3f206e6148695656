"""Speech recognition for captions: the engine interface (docs/captions.md).

An engine listens to ONE speaker: `feed` it that speaker's audio as it arrives (16 kHz
mono signed 16-bit PCM, with the wall-clock time of its first sample), and it returns
the segments it can tell: partial ones (the phrase so far, to be replaced) and final
ones (a finished phrase). `close` finishes whatever is pending. Feeding runs the
recogniser synchronously: call it from a worker thread or process, never from an event
loop or the media server's clock.
"""

from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Segment:
    text: str
    start: float  # epoch seconds of the phrase's first sample
    end: float  # epoch seconds of its last sample
    final: bool
    key: str  # one phrase's partials and its final share the key


class CaptionEngine(Protocol):
    language: str

    def feed(self, pcm: np.ndarray, at: float) -> list[Segment]:
        """Take `pcm` (int16 at SAMPLE_RATE) whose first sample was at `at` (epoch
        seconds); a gap in time since the last audio ends the phrase before it."""

    def close(self) -> list[Segment]:
        """Finish: the final segment of the phrase in progress, if any."""


class UnknownLanguage(ValueError):
    """Captions cannot be made in this language with the configured models."""


# Imported after the names above, which they use.
from . import models  # noqa: E402
from .whisper import WhisperEngine  # noqa: E402


def languages() -> set[str]:
    """Languages captions can be made in with the configured models ("en", "it")."""
    return models.languages()


def load(language: str) -> CaptionEngine:
    """A new engine for one speaker in `language`, sharing the process's model for it;
    UnknownLanguage (a ValueError) when no configured model knows the language."""
    return WhisperEngine(language, models.model(language))


def warm(language: str) -> None:
    """Load the model for `language` now, so that the first speaker waits for nothing."""
    models.model(language)
