"""The captions engine alone (captions/engine/): known speech spoken by espeak-ng, fed as
a speaker's audio arrives (100 ms chunks), comes back as partial and final segments
with the right words and times; silence, noise and music come back as nothing."""

import os
import threading

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from captions import engine
from captions.engine import SAMPLE_RATE, Segment, UnknownLanguage, models
from tests.captions.speech import ENGLISH, ITALIAN, needs_espeak, speech, word_error_rate

pytestmark = needs_espeak

CHUNK = SAMPLE_RATE // 10  # 100 ms, as the media server's feed sends it
T0 = 1_767_225_600.0  # an epoch: the chunks' `at` are wall-clock times


def _quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)


def _feed(eng, audio: np.ndarray, at: float = T0) -> list[Segment]:
    segments = []
    for i in range(0, len(audio), CHUNK):
        segments += eng.feed(audio[i : i + CHUNK], at + i / SAMPLE_RATE)
    return segments + eng.close()


def _spoken(sentences: list[str], language: str, pause: float = 1.0) -> np.ndarray:
    parts = [_quiet(pause)]
    for sentence in sentences:
        parts += [speech(sentence, language), _quiet(pause)]
    return np.concatenate(parts)


def _finals(segments: list[Segment]) -> list[Segment]:
    return [s for s in segments if s.final]


def _wer(sentences: list[str], segments: list[Segment]) -> float:
    return word_error_rate(" ".join(sentences), " ".join(s.text for s in _finals(segments)))


def _speech_edges(samples: np.ndarray) -> tuple[float, float]:
    """Seconds from the start of `samples` to its first and last clearly voiced sample."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 500)
    return loud[0] / SAMPLE_RATE, loud[-1] / SAMPLE_RATE


@pytest.fixture(scope="module")
def english():
    """The English sentences through one English engine (reused by several tests)."""
    return _feed(engine.load("en"), _spoken(ENGLISH, "en"))


@pytest.fixture(scope="module")
def italian():
    return _feed(engine.load("it"), _spoken(ITALIAN, "it"))


def test_it_captions_english_under_15_percent_wer(english):
    wer = _wer(ENGLISH, english)
    print(f"English WER (tiny.en, 100 ms chunks): {wer:.1%}")

    assert len(_finals(english)) == len(ENGLISH)
    assert wer < 0.15


def test_it_captions_italian_under_15_percent_wer_with_the_bundled_base_model(italian):
    wer = _wer(ITALIAN, italian)
    print(f"Italian WER (base, 100 ms chunks): {wer:.1%}")

    assert len(_finals(italian)) == len(ITALIAN)
    assert wer < 0.15


def test_it_sends_partials_before_the_final_with_its_key(english):
    finals = {s.key: n for n, s in enumerate(english) if s.final}
    partials = [(n, s) for n, s in enumerate(english) if not s.final]

    assert len(set(finals)) == len(ENGLISH)
    assert partials
    for n, partial in partials:
        assert n < finals[partial.key]
    # About one a second of speech at most: these sentences last 3.5-5 s each.
    for key in finals:
        assert 1 <= sum(1 for _n, p in partials if p.key == key) <= 5


def test_it_ends_a_phrase_at_a_pause_with_the_times_of_the_speech():
    first, second = speech(ENGLISH[0]), speech(ENGLISH[3])
    audio = np.concatenate([_quiet(0.5), first, _quiet(1.5), second, _quiet(1.0)])
    second_at = 0.5 + len(first) / SAMPLE_RATE + 1.5
    expected = [
        tuple(0.5 + t for t in _speech_edges(first)),
        tuple(second_at + t for t in _speech_edges(second)),
    ]

    finals = _finals(_feed(engine.load("en"), audio))

    assert len(finals) == 2
    for segment, (start, end) in zip(finals, expected, strict=True):
        assert segment.start - T0 == pytest.approx(start, abs=0.5)
        assert segment.end - T0 == pytest.approx(end, abs=0.5)
    assert word_error_rate(ENGLISH[3], finals[1].text) < 0.3


def test_it_ends_a_phrase_at_a_gap_in_the_chunks_times():
    eng = engine.load("en")
    words = speech(ENGLISH[2])
    half = (len(words) // 2) // CHUNK * CHUNK

    before = []
    for i in range(0, half, CHUNK):
        before += eng.feed(words[i : i + CHUNK], T0 + i / SAMPLE_RATE)
    # The next chunk comes 2 s later than the audio so far (dropped backlog, a stall).
    after = eng.feed(words[half : half + CHUNK], T0 + half / SAMPLE_RATE + 2.0)

    assert [s.final for s in after] == [True]
    assert after[0].end - T0 <= half / SAMPLE_RATE + 0.1
    eng.close()


def _noise(seconds: float, level: float) -> np.ndarray:
    rng = np.random.default_rng(12)
    return (rng.standard_normal(int(seconds * SAMPLE_RATE)) * level).astype(np.int16)


def _music(seconds: float) -> np.ndarray:
    """Chords of sines, a new one every half second with a short rest: a rhythm."""
    t = np.arange(int(0.5 * SAMPLE_RATE)) / SAMPLE_RATE
    chords = [
        (261.6, 329.6, 392.0),
        (220.0, 261.6, 329.6),
        (174.6, 220.0, 261.6),
        (196.0, 246.9, 293.7),
    ]
    beats = []
    for n in range(int(seconds * 2)):
        tone = sum(np.sin(2 * np.pi * f * t) for f in chords[n % len(chords)])
        envelope = np.minimum(1.0, 8 * t) * np.where(t < 0.4, 1.0, 0.0)
        beats.append((tone * envelope * 5000).astype(np.int16))
    return np.concatenate(beats)


@pytest.mark.parametrize(
    "audio",
    [
        pytest.param(_quiet(5.0), id="silence"),
        pytest.param(_noise(5.0, 30.0), id="faint-hiss"),
        pytest.param(_noise(5.0, 3000.0), id="white-noise"),
        pytest.param(_music(6.0), id="music"),
    ],
)
def test_it_makes_no_captions_of_silence_noise_or_music(audio):
    assert _feed(engine.load("en"), audio) == []


def test_it_makes_no_captions_of_music_in_italian():
    assert _feed(engine.load("it"), _music(6.0)) == []


@pytest.mark.parametrize(("language", "spoken"), [("it", "en"), ("en", "it")])
def test_it_survives_speech_in_another_language(language, spoken):
    sentences = ENGLISH[:1] if spoken == "en" else ITALIAN[:1]

    segments = _feed(engine.load(language), _spoken(sentences, spoken))

    assert all(isinstance(s.text, str) and s.start <= s.end for s in segments)


def test_it_captions_two_speakers_in_two_threads():
    said = {0: ENGLISH[1], 1: ENGLISH[2]}
    heard = {}

    def speaker(n):
        heard[n] = _feed(engine.load("en"), _spoken([said[n]], "en"))

    threads = [threading.Thread(target=speaker, args=(n,)) for n in said]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for n, sentence in said.items():
        assert _wer([sentence], heard[n]) < 0.2


def test_it_knows_the_bundled_languages(settings):
    settings.CAPTIONS_MODEL_PATH = None

    assert engine.languages() == {"en", "it"}


def test_it_refuses_a_language_without_a_model():
    with pytest.raises(UnknownLanguage, match=r"'fr'.*available: en, it"):
        engine.load("fr")


@pytest.fixture
def loaded(monkeypatch):
    """Models a test loads are forgotten after it (the bundled ones stay cached)."""
    monkeypatch.setattr(models, "_loaded", dict(models._loaded))


def test_it_uses_a_multilingual_model_directory_for_every_language(settings, tmp_path, loaded):
    # The operator's directory: here the bundled base model, joined into one file.
    part1, part2 = models._base_parts()
    folder = tmp_path / "whisper-base"
    folder.mkdir()
    with open(folder / "model.bin", "wb") as out:
        out.write(part1.joinpath("model.bin.part1").read_bytes())
        out.write(part2.joinpath("model.bin.part2").read_bytes())
    for name in ("config.json", "vocabulary.json", "tokenizer.json"):
        os.symlink(part2 / name, folder / name)
    settings.CAPTIONS_MODEL_PATH = str(folder)

    assert engine.languages() == {"en", "it"}
    segments = _feed(engine.load("it"), _spoken(ITALIAN[1:2], "it"))

    assert _wer(ITALIAN[1:2], segments) < 0.15
    assert models.model("en") is models.model("it")


def test_it_uses_an_english_only_model_directory_for_english_only(settings, loaded):
    settings.CAPTIONS_MODEL_PATH = str(models._english_path())

    assert engine.languages() == {"en"}
    with pytest.raises(UnknownLanguage, match="'it'"):
        engine.load("it")
    assert _wer(ENGLISH[2:3], _feed(engine.load("en"), _spoken(ENGLISH[2:3], "en"))) < 0.15


def test_languages_with_a_broken_model_directory_is_empty_and_logged_once(
    settings, tmp_path, caplog, monkeypatch
):
    monkeypatch.setattr(models, "_told", set())
    settings.CAPTIONS_MODEL_PATH = str(tmp_path / "nothing-here")

    first, second = engine.languages(), engine.languages()

    assert (first, second) == (set(), set())
    told = [r.getMessage() for r in caplog.records if r.name == "captions.engine.models"]
    assert told == [
        f"captions are off: CAPTIONS_MODEL_PATH {settings.CAPTIONS_MODEL_PATH!r} has no model.bin"
    ]
    with pytest.raises(ImproperlyConfigured, match=r"has no model\.bin"):
        engine.load("en")
