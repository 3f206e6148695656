"""Wall-clock moments of a Space as offsets into its recording (the issue 11 contract:
seconds on the recording's own timeline, 0 = the first sample of seg-000000, whatever
the trim). The egress stamps every segment with EXT-X-PROGRAM-DATE-TIME, the wall clock
of its first sample; a moment falls in the last segment stamped before it."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

from mediaserver.egress.hls import parse_program_date_time
from recordings.files import Playlist

DATE_TAG = "#EXT-X-PROGRAM-DATE-TIME:"


@dataclass
class Clock:
    """Maps epoch seconds to recording offsets."""

    epochs: list[float]  # the stamped segments' first samples, ascending
    offsets: list[float]  # where those segments start in the recording
    fallback: float  # the epoch of offset 0 when no segment is stamped
    duration: float

    @classmethod
    def of(cls, playlist: Playlist | None, started_at: datetime) -> "Clock":
        """The clock of a recording's playlist; without one (or without any date: an
        older egress) offsets count from when the recording started."""
        epochs, offsets, at = [], [], 0.0
        for segment in playlist.segments if playlist is not None else []:
            date = next(
                (
                    parse_program_date_time(tag[len(DATE_TAG) :])
                    for tag in segment.tags
                    if tag.startswith(DATE_TAG)
                ),
                None,
            )
            # A date that runs backwards (a clock step) cannot anchor: the segment runs on.
            if date is not None and (not epochs or date > epochs[-1]):
                epochs.append(date)
                offsets.append(at)
            at += segment.duration
        duration = playlist.duration if playlist is not None else 0.0
        return cls(epochs, offsets, started_at.timestamp(), duration)

    def offset(self, moment: datetime | float) -> float:
        """Where `moment` falls in the recording, within [0, duration] (with no duration
        known, only not below 0). Moments while nothing was recorded (the egress was down
        between two discontinuous segments) fall at the start of the next segment."""
        epoch = moment if isinstance(moment, int | float) else moment.timestamp()
        if not self.epochs:
            position = epoch - self.fallback
        else:
            index = bisect_right(self.epochs, epoch) - 1
            if index < 0:
                position = self.offsets[0] - (self.epochs[0] - epoch)
            else:
                position = self.offsets[index] + (epoch - self.epochs[index])
                if index + 1 < len(self.offsets):
                    position = min(position, self.offsets[index + 1])
        position = max(0.0, position)
        if self.duration:
            position = min(position, self.duration)
        return round(position, 3)
