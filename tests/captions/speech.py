"""Known speech for the captions tests: sentences spoken by espeak-ng (Debian package).

`speech(text, language)` returns 16 kHz mono int16 samples; `speech_wav(text, language,
rate=48000)` writes a WAV file (for Chromium's --use-file-for-fake-audio-capture or an
aiortc MediaPlayer) and returns its path. Results are cached per process.
"""

import functools
import hashlib
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np
import pytest

VOICES = {"en": "en-us", "it": "it"}
CACHE = Path(tempfile.gettempdir()) / "spaces-test-speech"

ENGLISH = [
    "Welcome to our live audio room, today we talk about coffee and design.",
    "Please raise your hand if you would like to ask the host a question.",
    "We are testing live captions that show each speaker by name.",
    "The weather in the mountains was cold and windy all week.",
    "My favourite breakfast is fresh bread with butter and honey.",
]
# Italian words only: espeak-ng's Italian voice reads a loanword such as "design" by
# Italian rules, so that the audio no longer says the reference text.
ITALIAN = [
    "Benvenuti nella nostra stanza audio, oggi parliamo di caffè e di cucina.",
    "La registrazione sarà disponibile dopo la fine della diretta.",
    "Alzate la mano se volete fare una domanda a chi conduce.",
    "Il treno per Milano parte alle otto dalla stazione centrale.",
    "Domani pomeriggio andiamo al mare con i nostri amici.",
]

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"
)


def _espeak_wav(text: str, language: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(f"{language}:{text}".encode()).hexdigest()[:16]
    path = CACHE / f"espeak-{digest}.wav"
    if not path.exists():
        partial = path.with_suffix(".part.wav")
        subprocess.run(
            ["espeak-ng", "-v", VOICES[language], "-s", "150", "-w", str(partial), text],
            check=True,
            capture_output=True,
        )
        partial.rename(path)
    return path


def _resample(path: Path, rate: int) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        chunks = []
        for frame in container.decode(audio=0):
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    return np.concatenate(chunks).astype(np.int16)


@functools.cache
def speech(text: str, language: str = "en", rate: int = 16000) -> np.ndarray:
    """The sentence spoken, as mono int16 samples at `rate` (read-only)."""
    samples = _resample(_espeak_wav(text, language), rate)
    samples.flags.writeable = False
    return samples


def speech_wav(
    text: str, language: str = "en", *, rate: int = 48000, pad_seconds: float = 1.0
) -> Path:
    """A WAV file of the sentence at `rate`, with `pad_seconds` of silence before and
    after (Chromium loops a fake-capture file: the pause lets each loop end a phrase)."""
    digest = hashlib.sha1(f"{language}:{text}:{rate}:{pad_seconds}".encode()).hexdigest()[:16]
    path = CACHE / f"speech-{digest}.wav"
    if not path.exists():
        pad = np.zeros(int(rate * pad_seconds), dtype=np.int16)
        samples = np.concatenate([pad, speech(text, language, rate), pad])
        partial = path.with_suffix(".part.wav")
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(samples.tobytes())
        partial.rename(path)
    return path


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, for word error rates and key-word checks."""
    cleaned = "".join(c if c.isalnum() or c.isspace() or c == "'" else " " for c in text.lower())
    return cleaned.split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)
