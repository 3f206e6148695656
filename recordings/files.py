"""A recording's files in storage: where they are, what the playlist says, deleting them.

The egress (mediaserver/egress/) writes them; this module only reads and deletes. The
storage is the egress's: settings.EGRESS_STORAGE (an alias in STORAGES or a dotted path
to a storage class), else the private directory EGRESS_ROOT: local files or S3 alike.
"""

import contextlib
import logging
from dataclasses import dataclass, field

from mediaserver.egress import STORAGE_ERRORS, storage

log = logging.getLogger(__name__)

PLAYLIST = "index.m3u8"
INIT = "init.mp4"


@dataclass
class Segment:
    uri: str
    duration: float
    tags: list[str] = field(default_factory=list)  # the lines before its EXTINF


@dataclass
class Playlist:
    """An HLS media playlist as the egress writes it: header, segments, ENDLIST or not."""

    header: list[str]
    segments: list[Segment]
    ended: bool

    @property
    def duration(self) -> float:
        return sum(segment.duration for segment in self.segments)

    @classmethod
    def parse(cls, text: str) -> "Playlist":
        header, segments, tags, ended = [], [], [], False
        duration = None
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            if line == "#EXT-X-ENDLIST":
                ended = True
            elif line.startswith("#EXTINF:"):
                try:
                    duration = float(line[8:].split(",", 1)[0])
                except ValueError:
                    duration = 0.0
            elif line.startswith("#"):
                if duration is None and not segments and not tags and not _segment_tag(line):
                    header.append(line)
                else:
                    tags.append(line)
            elif duration is not None:
                segments.append(Segment(uri=line, duration=duration, tags=tags))
                duration, tags = None, []
        return cls(header=header, segments=segments, ended=ended)

    def skipped(self, start: float) -> int:
        """How many segments end at or before `start` seconds (a trim drops them)."""
        skipped, at = 0, 0.0
        for segment in self.segments:
            at += segment.duration
            if at > start:
                break
            skipped += 1
        return skipped

    def trimmed(self, start: float) -> str:
        """The playlist without the segments wholly before `start` seconds, starting
        playback at `start` exactly (EXT-X-START) inside the first segment kept."""
        skipped = self.skipped(start)
        kept = self.segments[skipped:]
        offset = start - sum(s.duration for s in self.segments[:skipped])
        lines = []
        for line in self.header:
            if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
                with contextlib.suppress(ValueError):
                    line = f"#EXT-X-MEDIA-SEQUENCE:{int(line.split(':', 1)[1]) + skipped}"
            lines.append(line)
        if start > 0:
            lines.append(f"#EXT-X-START:TIME-OFFSET={offset:.3f},PRECISE=YES")
        for segment in kept:
            # A discontinuity before a dropped segment no longer separates anything.
            lines.extend(segment.tags)
            lines.append(f"#EXTINF:{segment.duration:.3f},")
            lines.append(segment.uri)
        if self.ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"


def _segment_tag(line: str) -> bool:
    return line.startswith(("#EXT-X-DISCONTINUITY", "#EXT-X-PROGRAM-DATE-TIME"))


def playlist_read(prefix: str) -> Playlist | None:
    """The recording's playlist, or None when there is none (nobody ever spoke)."""
    store = storage()
    name = prefix + PLAYLIST
    try:
        if not store.exists(name):
            return None
        with store.open(name, "rb") as handle:
            return Playlist.parse(handle.read().decode("utf-8", "replace"))
    except STORAGE_ERRORS:
        log.warning("could not read %s", name, exc_info=True)
        return None


def file_names(prefix: str) -> list[str]:
    """The names of the files under a prefix (not recursive: the egress writes none).
    OSError when the storage fails (S3's errors too), as for the other functions here."""
    store = storage()
    try:
        return sorted(store.listdir(prefix)[1])
    except (FileNotFoundError, NotADirectoryError):
        return []
    except STORAGE_ERRORS as exc:
        raise _os_error(exc) from exc


def prefix_size(prefix: str) -> int:
    store = storage()
    try:
        return sum(store.size(prefix + name) for name in file_names(prefix))
    except STORAGE_ERRORS as exc:
        raise _os_error(exc) from exc


def _os_error(exc: Exception) -> OSError:
    return exc if isinstance(exc, OSError) else OSError(f"{type(exc).__name__}: {exc}")


def prefix_delete(prefix: str) -> int:
    """Delete every file under the prefix; return how many. Safe to run twice. Tries
    every file, then raises OSError if any could not be deleted (the caller decides)."""
    store = storage()
    names = file_names(prefix)
    failed = []
    for name in names:
        try:
            store.delete(prefix + name)
        except STORAGE_ERRORS:
            failed.append(name)
    if failed:
        raise OSError(f"could not delete {len(failed)} files under {prefix}")
    return len(names)
