"""Captions engine: real-time factor per speaker, and speakers captioned per core.

1. Real-time factor (RTF = recognition wall time / audio time) of one engine fed the
   espeak-ng sentences of tests/captions/speech.py in 100 ms chunks as fast as it takes
   them, partials included, for tiny.en (English) and base (Italian), with
   CAPTIONS_CPU_THREADS (2 here) and with 1 thread; as wall time and as CPU time (all
   threads), which a machine busy with other work changes less.
2. Speakers per core: N engines (English, tiny.en, one shared model with cpu_threads=1,
   the whole process pinned to one CPU) each fed its own real-time-paced speech (1 s
   pauses between sentences, speakers out of step) from a thread, as the worker does,
   for SECONDS. Audio waits while its engine recognises (a partial or a final blocks
   `feed`); a run keeps up when no chunk waits more than WAIT_OK seconds (half the
   worker's backlog limit: nothing would be dropped) and the median final comes
   within LATENCY_OK seconds of the phrase's last speech sample (the 0.6 s pause that
   ends a phrase included; the page's target is 3 s). The largest such N is the figure.
Bounded: each run stops at SECONDS (or earlier once hopelessly behind); N stops at the
first run that does not keep up, or at MAX_SPEAKERS.
"""

import contextlib
import os
import statistics
import threading
import time

import numpy as np

SECONDS = float(os.environ.get("BENCH_CAPTIONS_SECONDS", "15"))
MAX_SPEAKERS = int(os.environ.get("BENCH_CAPTIONS_MAX_SPEAKERS", "12"))
WAIT_OK = 3.0
LATENCY_OK = 3.0
CHUNK_SECONDS = 0.1


def run() -> list[str]:
    lines = ["load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg())]
    from django.conf import settings
    from django.test import override_settings

    from captions.engine import models

    default_threads = settings.CAPTIONS_CPU_THREADS
    for threads in (default_threads, 1):
        with override_settings(CAPTIONS_CPU_THREADS=threads), _fresh_models(models):
            for label, language, spoken in (("tiny.en", "en", "en"), ("base", "it", "it")):
                rtf, cpu, audio = _rtf(language, spoken)
                lines.append(
                    f"RTF {label:<7} {threads} thread(s), {spoken} speech "
                    f"({audio:.0f} s, partials on): {rtf:.2f} wall, {cpu:.2f} CPU"
                )
                if threads == 1 and language == "en":
                    per_core = 1 / cpu
    lines.append(f"speakers per core (tiny.en, cpu_threads=1, pinned to one CPU, {SECONDS:.0f} s):")
    with override_settings(CAPTIONS_CPU_THREADS=1), _fresh_models(models), _one_cpu():
        from captions import engine

        engine.warm("en")
        best = 0
        for n in (1, 2, 3, 4, 5, 6, 8, 10, 12):
            if n > MAX_SPEAKERS:
                break
            result = _concurrent(n)
            lines.append("  " + result["line"])
            if not result["ok"]:
                break
            best = n
    lines.append(f"largest number of speakers one core kept up with: {best}")
    lines.append(f"CPU-time bound (1 / CPU RTF of tiny.en on 1 thread): {per_core:.1f} speakers")
    lines.append("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return lines


class _fresh_models:
    """Load models anew (with the settings of the moment), and forget them after."""

    def __init__(self, models):
        self.models = models

    def __enter__(self):
        self.saved = self.models._loaded
        self.models._loaded = {}

    def __exit__(self, *exc):
        self.models._loaded = self.saved


class _one_cpu:
    """Pin every thread of this process (numpy's BLAS pool included) to one CPU; the
    threads started from now on inherit it."""

    def __enter__(self):
        self.saved = os.sched_getaffinity(0)
        self._pin({min(self.saved)})

    def __exit__(self, *exc):
        self._pin(self.saved)

    @staticmethod
    def _pin(cpus):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                os.sched_setaffinity(int(task), cpus)


def _sentences(spoken: str) -> list[str]:
    from tests.captions.speech import ENGLISH, ITALIAN

    return ENGLISH if spoken == "en" else ITALIAN


def _speech(spoken: str, rotate: int = 0, pause: float = 1.0) -> np.ndarray:
    from tests.captions.speech import speech

    sentences = _sentences(spoken)
    sentences = sentences[rotate % len(sentences) :] + sentences[: rotate % len(sentences)]
    quiet = np.zeros(int(pause * 16000), dtype=np.int16)
    return np.concatenate([part for s in sentences for part in (speech(s, spoken), quiet)])


def _rtf(language: str, spoken: str) -> tuple[float, float, float]:
    """RTF (wall, CPU: all threads) of the model for `language` on speech in `spoken`,
    and the seconds of audio."""
    from captions.engine import models
    from captions.engine.whisper import WhisperEngine

    eng = WhisperEngine(spoken, models.model(language))
    audio = _speech(spoken)
    chunk = int(CHUNK_SECONDS * 16000)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(audio), chunk):
        eng.feed(audio[i : i + chunk], 1_000.0 + i / 16000)
    eng.close()
    seconds = len(audio) / 16000
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall / seconds, cpu / seconds, seconds


def _concurrent(n: int) -> dict:
    """N speakers at once, each in its thread, paced as the audio arrives."""
    from captions import engine

    chunk = int(CHUNK_SECONDS * 16000)
    count = int(SECONDS / CHUNK_SECONDS)
    lags: list[list[float]] = [[] for _ in range(n)]
    latencies: list[float] = []
    finals = [0] * n
    lock = threading.Lock()
    start = time.time() + 0.5

    def speaker(k: int):
        eng = engine.load("en")
        audio = _speech("en", rotate=k)
        # Out of step: each speaker starts at another point of its sentences.
        offset = (k * 7 * chunk) % len(audio)
        audio = np.concatenate([audio[offset:], audio[:offset]])
        for i in range(count):
            at = start + i * CHUNK_SECONDS
            ready = at + CHUNK_SECONDS  # the chunk exists once it has been said
            delay = ready - time.time()
            if delay > 0:
                time.sleep(delay)
            piece = audio[(i * chunk) % len(audio) :][:chunk]
            segments = eng.feed(piece, at)
            now = time.time()
            lags[k].append(now - ready)
            with lock:
                for segment in segments:
                    if segment.final:
                        finals[k] += 1
                        latencies.append(now - segment.end)
            if now - ready > 10:  # hopelessly behind: stop, the run failed
                break
        eng.close()

    cpu = time.process_time()
    threads = [threading.Thread(target=speaker, args=(k,)) for k in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    wall = time.time() - start
    cpu = (time.process_time() - cpu) / max(wall, 0.001)

    every = sorted(lag for per in lags for lag in per)
    p95 = every[int(0.95 * (len(every) - 1))]
    worst = every[-1]
    ok = worst <= WAIT_OK and bool(latencies) and statistics.median(latencies) <= LATENCY_OK
    latency = (
        f"final {statistics.median(latencies):.1f} s median, {max(latencies):.1f} s max "
        f"after the speech ({sum(finals)} finals)"
        if latencies
        else "no finals"
    )
    return {
        "ok": ok,
        "line": (
            f"N={n:>2}: audio waits {p95:.2f} s p95, {worst:.2f} s max; {latency}; "
            f"CPU {cpu * 100:.0f} % -> {'keeps up' if ok else 'falls behind'}"
        ),
    }
