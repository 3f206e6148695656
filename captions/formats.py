"""A transcript as files: WebVTT (a player's track), SubRip and plain text.

Each builder takes cues already placed on the timeline the file is for (the recording's,
or a clip's) and returns the whole file's text, so that a download and a test see the
same bytes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """One caption on a timeline: from `start` to `end` seconds, said by `speaker`."""

    start: float
    end: float
    speaker: str
    text: str


def _one_line(text: str) -> str:
    # A blank line ends a cue in VTT and SRT: a phrase is always one line.
    return " ".join(text.split())


def _parts(seconds: float) -> tuple[int, int, int, int]:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return hours, minutes, secs, millis


def vtt_time(seconds: float) -> str:
    """00:01:23.456 (WebVTT: hours always, a dot before the milliseconds)."""
    return "{:02d}:{:02d}:{:02d}.{:03d}".format(*_parts(seconds))


def srt_time(seconds: float) -> str:
    """00:01:23,456 (SubRip: a comma before the milliseconds)."""
    return "{:02d}:{:02d}:{:02d},{:03d}".format(*_parts(seconds))


def clock_time(seconds: float) -> str:
    """00:01:23 (whole seconds, rounded down: the moment the line starts in)."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def vtt_escape(text: str) -> str:
    """Text safe in a cue: &, < and > are markup in WebVTT ("-->" becomes harmless too)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _end(cue: Cue) -> float:
    # A cue must end after it starts (a phrase said while nothing was recorded has none).
    return max(cue.end, cue.start + 0.001)


def vtt(cues: list[Cue]) -> str:
    """A WebVTT file, each cue's speaker in a voice tag: <v Ada Lovelace>text."""
    blocks = ["WEBVTT"]
    for cue in cues:
        speaker = vtt_escape(_one_line(cue.speaker))
        text = vtt_escape(_one_line(cue.text))
        voice = f"<v {speaker}>{text}" if speaker else text
        blocks.append(f"{vtt_time(cue.start)} --> {vtt_time(_end(cue))}\n{voice}")
    return "\n\n".join(blocks) + "\n"


def srt(cues: list[Cue]) -> str:
    """A SubRip file: numbered cues, "Speaker: text" (SRT has no voices)."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        speaker = _one_line(cue.speaker)
        text = _one_line(cue.text)
        line = f"{speaker}: {text}" if speaker else text
        blocks.append(f"{number}\n{srt_time(cue.start)} --> {srt_time(_end(cue))}\n{line}")
    return "\n\n".join(blocks) + "\n" if blocks else ""


def txt(cues: list[Cue]) -> str:
    """Plain text, a line per phrase: [00:01:23] Ada Lovelace: text."""
    lines = []
    for cue in cues:
        speaker = _one_line(cue.speaker)
        text = _one_line(cue.text)
        at = f"[{clock_time(cue.start)}]"
        lines.append(f"{at} {speaker}: {text}" if speaker else f"{at} {text}")
    return "\n".join(lines) + "\n" if lines else ""
