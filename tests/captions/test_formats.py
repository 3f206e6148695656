"""The transcript's files, byte for byte: WebVTT with voices, SubRip, plain text."""

from captions import formats
from captions.formats import Cue

CUES = [
    Cue(0.0, 2.5, "Ada Lovelace", "Welcome to the Space."),
    Cue(83.456, 86.0, "Grace <Amazing> Hopper", "Is 1 < 2 && 3 > 2? Yes --> always."),
    Cue(3725.0004, 3726.9996, "", "An unnamed\nline  with\tspaces"),
]


def test_it_writes_webvtt_with_voices_and_escapes_markup():
    assert formats.vtt(CUES) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:02.500\n"
        "<v Ada Lovelace>Welcome to the Space.\n"
        "\n"
        "00:01:23.456 --> 00:01:26.000\n"
        "<v Grace &lt;Amazing&gt; Hopper>Is 1 &lt; 2 &amp;&amp; 3 &gt; 2? Yes --&gt; always.\n"
        "\n"
        "01:02:05.000 --> 01:02:07.000\n"
        "An unnamed line with spaces\n"
    )


def test_it_writes_srt_numbered_with_commas():
    assert formats.srt(CUES) == (
        "1\n"
        "00:00:00,000 --> 00:00:02,500\n"
        "Ada Lovelace: Welcome to the Space.\n"
        "\n"
        "2\n"
        "00:01:23,456 --> 00:01:26,000\n"
        "Grace <Amazing> Hopper: Is 1 < 2 && 3 > 2? Yes --> always.\n"
        "\n"
        "3\n"
        "01:02:05,000 --> 01:02:07,000\n"
        "An unnamed line with spaces\n"
    )


def test_it_writes_plain_text_a_line_per_phrase():
    assert formats.txt(CUES) == (
        "[00:00:00] Ada Lovelace: Welcome to the Space.\n"
        "[00:01:23] Grace <Amazing> Hopper: Is 1 < 2 && 3 > 2? Yes --> always.\n"
        "[01:02:05] An unnamed line with spaces\n"
    )


def test_a_cue_never_ends_before_it_starts():
    cue = Cue(10.0, 9.0, "Ada", "Said while nothing was recorded")

    assert formats.vtt([cue]) == (
        "WEBVTT\n\n00:00:10.000 --> 00:00:10.001\n<v Ada>Said while nothing was recorded\n"
    )
    assert "00:00:10,000 --> 00:00:10,001" in formats.srt([cue])


def test_no_cues_make_an_empty_track_and_empty_files():
    assert (formats.vtt([]), formats.srt([]), formats.txt([])) == ("WEBVTT\n", "", "")


def test_times_round_to_the_millisecond_and_carry():
    assert formats.vtt_time(59.9996) == "00:01:00.000"
    assert formats.srt_time(359999.999) == "99:59:59,999"
    assert formats.clock_time(83.999) == "00:01:23"
