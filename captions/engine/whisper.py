"""A streaming caption engine over faster-whisper: one per speaker (docs/captions.md).

Audio is cut into phrases by loudness: a phrase starts at the first loud 20 ms frame
(with a little audio before it) and ends after PAUSE seconds of quiet, at a gap in the
chunks' times, or after MAX_PHRASE seconds. While a phrase grows, the phrase so far is
recognised at most once per PARTIAL_EVERY seconds of new speech (a partial segment,
greedy, on an encoder window cut to the audio: models.quick_text); when it ends it is
recognised once more on Whisper's full window with beam search (the final segment,
with the same key).

Loudness only decides when to listen. What is speech is decided by Silero VAD (bundled
with faster-whisper) before Whisper sees anything, and Whisper's output is filtered for
the text it invents on noise and near-silence, so that silence, noise and music give no
segments. The times of a segment are those of its first and last speech sample.
"""

import itertools
import re
import time
import uuid
from collections import deque

import numpy as np

from . import SAMPLE_RATE, Segment
from .models import plausible, quick_text, speech_spans

FRAME = SAMPLE_RATE // 50  # 20 ms frames for loudness
PAUSE = 0.6  # seconds of quiet that end a phrase
MAX_PHRASE = 15.0  # seconds: a phrase is cut here even without a pause
PARTIAL_EVERY = 1.0  # seconds of new speech between partial segments, at least
PREROLL = 0.3  # seconds of quiet audio kept before a phrase's first loud frame
DECODE_PAD = 1.0  # seconds of the phrase kept around the speech Silero finds

# Loud = RMS over MIN_RMS (about -47 dBFS) and over NOISE_FACTOR times the noise floor,
# the 10th percentile of the last FLOOR_SECONDS of frames: steady noise stops
# counting as loud after a few seconds, and speech (which has quiet frames between its
# words) never raises the floor to its own level.
MIN_RMS = 150.0
NOISE_FACTOR = 2.0
FLOOR_SECONDS = 5.0

# Beam search for the final text (measured better than greedy on tiny.en, and the
# encoder's 30 s window costs far more than the beams); partials are greedy, on a
# window cut to their audio (models.quick_text), since the final replaces them.
FINAL_BEAM = 5

# Whisper invents these on silence, breath, noise and music (it learned them from
# subtitles). A whole phrase that reads like one of them is dropped; a speaker who only
# says "thank you" loses that caption, which is the price of never captioning a hiss.
HALLUCINATIONS = {
    "you",
    "thank you",
    "thank you very much",
    "thanks for watching",
    "thank you for watching",
    "thank you so much for watching",
    "please subscribe",
    "bye",
    "subtitles by the amara org community",
    "grazie",
    "grazie a tutti",
    "grazie per la visione",
    "grazie per l'attenzione",
    "sottotitoli creati dalla comunità amara org",
    "sottotitoli a cura di qtss",
    "sottotitoli e revisione a cura di qtss",
}
# [Music], (applause), *sigh*, ♪ la la ♪: sound descriptions, never speech.
ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|♪[^♪]*♪|[♪♫]")

_engine_ids = itertools.count(1)


class WhisperEngine:
    """Captions for one speaker's audio; `feed` and `close` as in CaptionEngine."""

    def __init__(self, language: str, model):
        self.language = language
        self._model = model
        self._id = f"{uuid.uuid4().hex[:8]}{next(_engine_ids)}"
        self._phrases = itertools.count(1)
        self._levels: deque[float] = deque(maxlen=int(FLOOR_SECONDS * 50))
        self._preroll: deque[np.ndarray] = deque()
        self._next_at: float | None = None  # epoch of the sample after the last one fed
        self._partial_every = PARTIAL_EVERY  # seconds of new speech, grows when slow
        self._reset_phrase()
        self.decode_seconds = 0.0  # time spent recognising (for the benchmark)

    def _reset_phrase(self):
        self._pieces: list[np.ndarray] = []
        self._phrase_at = 0.0
        self._length = 0  # samples in the phrase
        self._quiet = 0  # samples of quiet at its end
        self._new_speech = 0  # loud samples since the last partial
        self._last_partial = ""
        self._last_times = (0.0, 0.0)
        self._key = ""

    @property
    def _in_phrase(self) -> bool:
        return bool(self._pieces)

    def feed(self, pcm: np.ndarray, at: float) -> list[Segment]:
        """Take `pcm` (int16 at SAMPLE_RATE) whose first sample was at `at`; return the
        segments it completes: finals of phrases it ends, then at most one partial."""
        pcm = np.asarray(pcm)
        if pcm.dtype != np.int16:
            raise ValueError(f"captions take int16 samples, not {pcm.dtype}")
        pcm = pcm.reshape(-1)
        out: list[Segment] = []
        if self._next_at is not None and self._in_phrase:
            gap = at - self._next_at
            if gap >= PAUSE or self._quiet + gap * SAMPLE_RATE >= PAUSE * SAMPLE_RATE:
                out.extend(self._finish())
            elif gap > 0.02:
                # A short hole (a lost packet, jitter): fill it with quiet so that the
                # phrase's clock stays the wall clock.
                self._append(np.zeros(int(gap * SAMPLE_RATE), dtype=np.int16), loud=False)
        elif self._next_at is not None and abs(at - self._next_at) > 0.02:
            self._preroll.clear()  # the pre-roll must end where the phrase starts
        self._next_at = at + len(pcm) / SAMPLE_RATE

        frames = [pcm[i : i + FRAME] for i in range(0, len(pcm), FRAME)]
        for n, frame in enumerate(frames):
            frame_at = at + n * FRAME / SAMPLE_RATE
            loud = self._loud(frame)
            if not self._in_phrase:
                if not loud:
                    self._preroll.append(frame)
                    self._preroll_trim()
                    continue
                self._start(frame_at)
            self._append(frame, loud=loud)
            if self._quiet >= PAUSE * SAMPLE_RATE or self._length >= MAX_PHRASE * SAMPLE_RATE:
                out.extend(self._finish())
        if self._in_phrase and self._new_speech >= self._partial_every * SAMPLE_RATE:
            out.extend(self._partial())
        return out

    def close(self) -> list[Segment]:
        """The final segment of the phrase in progress, if any."""
        out = self._finish() if self._in_phrase else []
        self._preroll.clear()
        self._next_at = None
        return out

    # Phrases

    def _loud(self, frame: np.ndarray) -> bool:
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if len(frame) else 0.0
        self._levels.append(rms)
        floor = float(np.percentile(self._levels, 10)) if len(self._levels) >= 25 else 0.0
        return rms >= MIN_RMS and rms >= NOISE_FACTOR * floor

    def _preroll_trim(self):
        kept = sum(len(p) for p in self._preroll)
        while self._preroll and kept - len(self._preroll[0]) >= PREROLL * SAMPLE_RATE:
            kept -= len(self._preroll.popleft())

    def _start(self, frame_at: float):
        before = list(self._preroll)
        self._preroll.clear()
        self._phrase_at = frame_at - sum(len(p) for p in before) / SAMPLE_RATE
        self._key = f"{self._id}-{next(self._phrases)}"
        for piece in before:
            self._append(piece, loud=False)

    def _append(self, piece: np.ndarray, *, loud: bool):
        self._pieces.append(piece)
        self._length += len(piece)
        if loud:
            self._quiet = 0
            self._new_speech += len(piece)
        else:
            self._quiet += len(piece)

    def _partial(self) -> list[Segment]:
        started = time.perf_counter()
        heard = self._recognise(final=False)
        took = time.perf_counter() - started
        self._new_speech = 0
        # Partials never take more than about half of real time: when recognition is
        # slow (a big model, many speakers on one core) they come less often.
        self._partial_every = max(PARTIAL_EVERY, 2 * took)
        if heard is None or heard[0] == self._last_partial:
            return []
        self._last_partial = heard[0]
        return [Segment(heard[0], heard[1], heard[2], final=False, key=self._key)]

    def _finish(self) -> list[Segment]:
        heard = self._recognise(final=True)
        if heard is None and self._last_partial:
            # Speech was shown as a partial: the final must replace it, never leave it.
            heard = (self._last_partial, *self._last_times)
        key = self._key
        self._reset_phrase()
        if heard is None:
            return []
        return [Segment(heard[0], heard[1], heard[2], final=True, key=key)]

    # Recognition

    def _recognise(self, *, final: bool) -> tuple[str, float, float] | None:
        """The phrase so far as (text, start, end), or None when it holds no speech."""
        started = time.perf_counter()
        try:
            audio = np.concatenate(self._pieces).astype(np.float32) / 32768.0
            spans = speech_spans(audio)
            if not spans:
                return None
            first, last = spans[0]["start"], spans[-1]["end"]
            pad = int(DECODE_PAD * SAMPLE_RATE)
            clip = audio[max(0, first - pad) : last + pad]
            if final:
                segments, _info = self._model.transcribe(
                    clip,
                    language=self.language,
                    beam_size=FINAL_BEAM,
                    temperature=0.0,
                    condition_on_previous_text=False,
                    without_timestamps=True,
                    vad_filter=False,
                )
                text = " ".join(
                    s.text.strip()
                    for s in segments
                    if plausible(s.no_speech_prob, s.avg_logprob, s.compression_ratio)
                )
            else:
                text = quick_text(self._model, clip, self.language)
        finally:
            self.decode_seconds += time.perf_counter() - started
        text = _clean(text)
        if not text:
            return None
        times = (self._phrase_at + first / SAMPLE_RATE, self._phrase_at + last / SAMPLE_RATE)
        self._last_times = times
        return text, *times


def _clean(text: str) -> str:
    """The text without sound descriptions, or "" when nothing of speech is left."""
    text = " ".join(ANNOTATION.sub(" ", text).split())
    plain = " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
    if not any(c.isalpha() for c in plain) or plain in HALLUCINATIONS:
        return ""
    return text
