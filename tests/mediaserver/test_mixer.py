"""The mixer alone: known sine waves in, their sum out."""

import numpy as np
import pytest

from mediaserver.embedded.mixer import (
    FRAME_SAMPLES,
    INT16_MAX,
    INT16_MIN,
    InputBuffer,
    SpeakingDetector,
    level_dbfs,
    mix,
)
from tests.mediaserver.tones import peaks, sine


def test_it_sums_the_speakers():
    low, high = sine(440, FRAME_SAMPLES), sine(1250, FRAME_SAMPLES, amplitude=5000)

    room, _minus = mix({"a": low, "b": high})

    assert np.array_equal(room, low.astype(np.int32) + high)
    both = peaks(room, [440, 1250], band=60)
    assert both[440] > 0.4
    assert both[1250] > 0.1


def test_it_clips_instead_of_wrapping_round():
    loud = sine(440, FRAME_SAMPLES, amplitude=30000)

    room, _minus = mix({"a": loud, "b": loud, "c": loud})

    assert room.dtype == np.int16
    assert room.max() == INT16_MAX
    assert room.min() == INT16_MIN
    # Where the sum overflows, the sign of the mix still follows the sign of the input.
    assert np.all(np.sign(room[np.abs(loud) > 12000]) == np.sign(loud[np.abs(loud) > 12000]))


def test_mix_minus_self_leaves_out_ones_own_voice():
    voices = {name: sine(f, FRAME_SAMPLES) for name, f in (("a", 440), ("b", 1250), ("c", 2500))}

    _room, minus = mix(voices)

    assert np.array_equal(minus["a"], voices["b"].astype(np.int32) + voices["c"])
    heard_by_a = peaks(minus["a"], [440, 1250, 2500], band=60)
    assert heard_by_a[440] < 0.01
    assert heard_by_a[1250] > 0.3
    assert heard_by_a[2500] > 0.3


def test_it_is_silent_when_everyone_is_muted_or_late():
    room, minus = mix({})

    assert room.shape == (FRAME_SAMPLES,)
    assert not room.any()
    assert minus == {}


def test_a_lone_speaker_hears_silence():
    _room, minus = mix({"a": sine(440, FRAME_SAMPLES)})

    assert not minus["a"].any()


def test_the_input_buffer_hands_out_whole_frames_and_waits_for_late_audio():
    buffer = InputBuffer()
    buffer.push(sine(440, 400))

    assert buffer.pop() is None  # late: this tick the speaker is silent
    buffer.push(sine(440, 700, start=400))
    frame = buffer.pop()
    assert np.array_equal(frame, sine(440, FRAME_SAMPLES))
    assert buffer.size == 1100 - FRAME_SAMPLES


def test_the_input_buffer_drops_the_oldest_audio_when_a_speaker_falls_behind():
    buffer = InputBuffer(max_frames=3)
    for i in range(10):
        buffer.push(np.full(FRAME_SAMPLES, i, dtype=np.int16))

    assert [int(buffer.pop()[0]) for _ in range(3)] == [7, 8, 9]
    assert buffer.pop() is None


def test_a_backlog_that_never_drains_is_dropped_after_a_window():
    buffer = InputBuffer(max_frames=10, window=5)
    for i in range(4):  # a burst: three frames more than the clock needs
        buffer.push(np.full(FRAME_SAMPLES, i, dtype=np.int16))
    played = []
    for tick in range(4, 12):  # then arrivals keep pace with the clock
        buffer.push(np.full(FRAME_SAMPLES, tick, dtype=np.int16))
        played.append(int(buffer.pop()[0]))

    # The three frames of surplus went at the end of the first window: from then on
    # each frame is played on the tick after it arrived, not four ticks later.
    assert played[:4] == [0, 1, 2, 3]
    assert played[5:] == [9, 10, 11]


def test_a_buffer_that_runs_low_keeps_its_audio():
    buffer = InputBuffer(window=3)
    for tick in range(9):
        buffer.push(np.full(FRAME_SAMPLES, tick, dtype=np.int16))
        assert int(buffer.pop()[0]) == tick


def test_levels_are_in_dbfs():
    assert level_dbfs(np.zeros(FRAME_SAMPLES, np.int16)) == float("-inf")
    full_scale = sine(1000, FRAME_SAMPLES, amplitude=INT16_MAX)
    assert level_dbfs(full_scale) == pytest.approx(-3.01, abs=0.05)


def test_speaking_starts_at_once_and_ends_after_the_hangover():
    detector = SpeakingDetector(threshold_dbfs=-40, hangover=3)

    assert detector.update({1: -20.0}, present=[1, 2])
    assert detector.speaking == {1}
    assert not detector.update({1: -60.0}, present=[1, 2])  # a pause between words
    assert not detector.update({}, present=[1, 2])
    assert detector.update({}, present=[1, 2])
    assert detector.speaking == set()


def test_a_speaker_who_is_muted_or_leaves_stops_speaking_at_once():
    detector = SpeakingDetector(threshold_dbfs=-40, hangover=25)
    detector.update({1: -10.0, 2: -10.0}, present=[1, 2])

    assert detector.update({2: -10.0}, present=[2])
    assert detector.speaking == {2}
