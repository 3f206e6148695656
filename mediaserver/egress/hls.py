"""The egress stage: Opus packets in, HLS (fMP4 segments and playlists) out, no re-encoding.

`HlsEgress.feed(payload, rtp_timestamp)` runs on the media server's event loop, once
per packet, and only appends to two lists; every `HLS_SEGMENT_SECONDS` it hands the
packets of one segment to a writer thread. The thread builds the boxes, saves them
and rewrites the playlists through Django's storage API, so that a slow or failing
storage never holds up the 20 ms clock. See docs/media.md, "Egress and HLS".
"""

import asyncio
import contextlib
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.base import ContentFile

from mediaserver import signals
from mediaserver.egress import fmp4
from mediaserver.egress import storage as egress_storage
from mediaserver.egress.opus import SILENCE_SAMPLES, packet_samples, silence

logger = logging.getLogger(__name__)

LIVE_WINDOW = 6  # segments in live.m3u8
QUEUE_SEGMENTS = 8  # segments waiting for the writer; past that the oldest is dropped
# A jump of the RTP clock this large (either way) is a new source, not lost packets: the
# timeline carries on from where it was instead of filling the jump with silence.
MAX_GAP_SAMPLES = 10 * fmp4.TIMESCALE
SEGMENT_NAME = "seg-{:06d}.m4s"
_SEGMENT_NUMBER = re.compile(r"seg-(\d+)\.m4s$")


def prefix(space_id: int) -> str:
    return f"hls/{space_id}/"


@dataclass(eq=False)
class _Segment:
    start: int  # first sample, counted from this egress's start
    payloads: list[bytes]
    durations: list[int]
    after_gap: bool = False  # the segment before it was dropped
    # Wall-clock time (epoch seconds) of its first sample: the mixer encodes in real time,
    # so it is when its first packet came in. Written as EXT-X-PROGRAM-DATE-TIME, which
    # lines room events (reactions, speaking, stage) up with the audio, live and in replay.
    wall: float = 0.0


@dataclass
class _Entry:
    """One segment in the playlists."""

    name: str
    duration: float
    discontinuity: bool = False
    date: float | None = None  # EXT-X-PROGRAM-DATE-TIME, epoch seconds


@dataclass
class Stats:
    packets: int = 0
    late: int = 0  # older than what was already packaged: dropped
    filled: int = 0  # silent packets put in for lost ones
    rebased: int = 0  # jumps of the source's clock
    dropped: int = 0  # segments dropped because the writer fell behind
    failed: int = 0  # storage writes that raised
    written: int = 0  # segments saved


class HlsEgress:
    """One live Space's HLS stream. Call `start()` on the event loop, `feed()` for each
    packet, and `await close()` at the end (see there)."""

    def __init__(
        self,
        space_id: int,
        *,
        channels: int = 1,
        pre_skip: int = fmp4.LIBOPUS_PRE_SKIP,
        segment_seconds: float | None = None,
        storage=None,
        queue_segments: int = QUEUE_SEGMENTS,
    ):
        self.space_id = space_id
        self.channels = channels
        self.pre_skip = pre_skip
        seconds = segment_seconds or settings.HLS_SEGMENT_SECONDS
        self.segment_samples = round(seconds * fmp4.TIMESCALE)
        # No segment is longer than the playlist's target duration says.
        self.target_duration = math.ceil(seconds)
        self.max_samples = self.target_duration * fmp4.TIMESCALE
        self.storage = storage if storage is not None else egress_storage()
        self.prefix = prefix(space_id)
        self.stats = Stats()
        self.silence = silence(channels)
        # Event loop side.
        self.next_ts: int | None = None
        self.position = 0  # samples packaged so far
        self.payloads: list[bytes] = []
        self.durations: list[int] = []
        self.segment_start = 0
        self.segment_length = 0
        self.segment_wall = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        # Writer side.
        self.pending: deque[_Segment] = deque()
        self.queue_segments = queue_segments
        self.wake = threading.Condition()
        self.closing = False
        self.ending = False
        self.ended = False  # ENDLIST written (or tried: a failure is egress_failed)
        self.found_ended = False  # the index found at start already had ENDLIST
        self.thread: threading.Thread | None = None
        self.done: asyncio.Future | None = None
        self.finished = threading.Event()
        self.after: threading.Event | None = None
        self.entries: list[_Entry] = []
        self.next_number = 0
        self.resumed_at = 0  # samples in the stream before this egress started
        self.init_saved = False
        self.failing = False
        # A segment could not be saved: the next one starts a discontinuity.
        self.gap = False

    # -- the event loop's side -------------------------------------------------------

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        # A room of this Space that is still closing writes its last segment first.
        with _closing_lock:
            self.after = _closing.get(self.prefix)
        self.done = self.loop.create_future()
        self.thread = threading.Thread(
            target=self._write_all, name=f"egress-{self.space_id}", daemon=True
        )
        self.thread.start()

    def feed(self, payload: bytes, rtp_timestamp: int) -> None:
        """One Opus packet of the room mix, with its RTP timestamp (48 kHz clock)."""
        samples = packet_samples(payload)
        if not samples or self.closed:
            return
        self.stats.packets += 1
        if self.next_ts is not None:
            ahead = (rtp_timestamp - self.next_ts) & 0xFFFFFFFF
            if ahead >= 0x80000000:
                ahead -= 0x100000000
            if ahead and abs(ahead) < MAX_GAP_SAMPLES:
                if ahead < 0:
                    self.stats.late += 1
                    return
                # Lost packets: keep the timeline honest with silence.
                missing, rest = divmod(ahead, SILENCE_SAMPLES)
                for _ in range(missing):
                    self._add(self.silence, SILENCE_SAMPLES)
                self.stats.filled += missing
                if rest:  # a part of a packet: the last one lasts longer, or a gap
                    if self.durations:
                        self.durations[-1] += rest
                        self.segment_length += rest
                    else:
                        self.segment_start += rest
                    self.position += rest
            elif ahead:
                self.stats.rebased += 1
        self.next_ts = (rtp_timestamp + samples) & 0xFFFFFFFF
        self._add(payload, samples)

    def rebase(self) -> None:
        """The source changed (a new RTP SSRC): its next packet starts a new clock, with no
        gap filled and no packet dropped. The packaged timeline runs on as it is: no
        discontinuity."""
        if self.next_ts is not None:
            self.stats.rebased += 1
        self.next_ts = None

    def _add(self, payload: bytes, samples: int) -> None:
        if self.payloads and self.segment_length + samples > self.max_samples:
            self._cut()
        if not self.payloads:
            self.segment_wall = time.time()
        self.payloads.append(payload)
        self.durations.append(samples)
        self.segment_length += samples
        self.position += samples
        if self.segment_length >= self.segment_samples:
            self._cut()

    def _cut(self) -> None:
        segment = _Segment(
            self.segment_start, self.payloads, self.durations, wall=self.segment_wall
        )
        self.segment_start += self.segment_length
        self.payloads, self.durations, self.segment_length = [], [], 0
        with self.wake:
            if len(self.pending) >= self.queue_segments:
                self.pending.popleft()
                self.stats.dropped += 1
                (self.pending[0] if self.pending else segment).after_gap = True
                logger.warning("Egress of Space %s fell behind: a segment dropped", self.space_id)
            self.pending.append(segment)
            self.wake.notify()

    async def close(self, *, ended: bool = True) -> None:
        """Package what is left and rewrite the playlists. `ended` (the Space ended) adds
        ENDLIST and tells who listens (`egress_closed`); otherwise (the room emptied, the
        media server stops) the stream is only suspended, and the next egress of this
        Space carries on after a discontinuity."""
        if self.closed:
            return
        self.closed = True
        if self.payloads:
            self._cut()
        with _closing_lock:
            _closing[self.prefix] = self.finished
        with self.wake:
            self.ending = ended
            self.closing = True
            self.wake.notify()
        if self.done is not None:
            # `wait` neither cancels `done` on a timeout nor when close is cancelled.
            await asyncio.wait({self.done}, timeout=CLOSE_WAIT_SECONDS)
            if not self.done.done():
                logger.warning(
                    "Egress of Space %s gave up waiting for its storage after %s s",
                    self.space_id,
                    CLOSE_WAIT_SECONDS,
                )
                return
        if not self.ended:
            return
        segments = len(self.entries)
        duration = sum(entry.duration for entry in self.entries)
        try:
            await signals.egress_closed.asend(
                sender=HlsEgress, space_id=self.space_id, segments=segments, duration=duration
            )
        except Exception:
            logger.exception("egress_closed for Space %s failed", self.space_id)

    # -- the writer thread ---------------------------------------------------------

    def _write_all(self) -> None:
        try:
            if self.after is not None:
                self.after.wait(CLOSING_WAIT_SECONDS)
            self._resume()
            while True:
                with self.wake:
                    while not self.pending and not self.closing:
                        self.wake.wait()
                    segment = self.pending.popleft() if self.pending else None
                if segment is None:
                    break
                self._write(segment)
            # A Space ended twice (close_room again) is told once.
            if self.entries and (self.stats.written or not self.found_ended):
                self._save_playlists(ended=self.ending)
                self.ended = self.ending
        except Exception:
            logger.exception("Egress writer of Space %s stopped", self.space_id)
        finally:
            self.finished.set()
            with _closing_lock:
                if _closing.get(self.prefix) is self.finished:
                    del _closing[self.prefix]
            self._call_soon(_finish, self.done)

    def _resume(self) -> None:
        """A media server restarted in the middle of a Space continues after the last
        segment found, and marks a discontinuity."""
        try:
            _dirs, files = self.storage.listdir(self.prefix)
        except FileNotFoundError:
            return
        except Exception as exc:
            self._failed("list", exc)
            return
        numbers = [int(m.group(1)) for m in map(_SEGMENT_NUMBER.match, files) if m]
        if not numbers:
            return
        self.next_number = max(numbers) + 1
        try:
            with self.storage.open(self.prefix + "index.m3u8") as f:
                self.entries, self.found_ended = parse_playlist(f.read().decode())
        except FileNotFoundError:
            pass
        except Exception as exc:
            self._failed("read", exc)
        self.resumed_at = round(sum(e.duration for e in self.entries) * fmp4.TIMESCALE)
        self.gap = True
        logger.info("Egress of Space %s resumes at segment %s", self.space_id, self.next_number)

    def _write(self, segment: _Segment) -> None:
        number = self.next_number
        self.next_number += 1
        name = SEGMENT_NAME.format(number)
        try:
            if not self.init_saved:
                init = fmp4.init_segment(channels=self.channels, pre_skip=self.pre_skip)
                self._put("init.mp4", init)
                self.init_saved = True
            data = fmp4.media_segment(
                number + 1, self.resumed_at + segment.start, segment.payloads, segment.durations
            )
            self._put(name, data, fresh=True)
        except Exception as exc:
            self.gap = True
            self._failed("write", exc)
            return
        duration = sum(segment.durations) / fmp4.TIMESCALE
        gap, self.gap = self.gap or segment.after_gap, False
        self.entries.append(_Entry(name, duration, discontinuity=gap, date=segment.wall))
        self._save_playlists(ended=False)
        self.stats.written += 1  # (once it is in the playlists)

    def _save_playlists(self, *, ended: bool) -> None:
        if not self.entries:
            return
        try:
            self._put("index.m3u8", self.playlist(self.entries, ended=ended, event=True))
            window = self.entries[-LIVE_WINDOW:]
            first = len(self.entries) - len(window)
            discontinuities = sum(e.discontinuity for e in self.entries[:first])
            live = self.playlist(
                window, ended=ended, sequence=first, discontinuity_sequence=discontinuities
            )
            self._put("live.m3u8", live)
        except Exception as exc:
            self._failed("write", exc)
            return
        self.failing = False

    def playlist(
        self,
        entries: list[_Entry],
        *,
        ended: bool,
        event: bool = False,
        sequence: int = 0,
        discontinuity_sequence: int = 0,
    ) -> bytes:
        target = max([self.target_duration, *(round(e.duration) for e in entries)])
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}"]
        if event:
            lines.append("#EXT-X-PLAYLIST-TYPE:EVENT")
        lines.append(f"#EXT-X-MEDIA-SEQUENCE:{sequence}")
        if discontinuity_sequence:
            lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
        lines += ["#EXT-X-INDEPENDENT-SEGMENTS", '#EXT-X-MAP:URI="init.mp4"']
        for index, entry in enumerate(entries):
            # The first segment keeps its tag too: the discontinuity sequence counts only
            # the segments that left the window (RFC 8216 §4.3.3.3), so a segment's
            # discontinuity number stays the same from one reload to the next.
            if entry.discontinuity:
                lines.append("#EXT-X-DISCONTINUITY")
                if index:
                    lines.append('#EXT-X-MAP:URI="init.mp4"')
            if entry.date is not None:
                lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{program_date_time(entry.date)}")
            lines += [f"#EXTINF:{entry.duration:.5f},", entry.name]
        if ended:
            lines.append("#EXT-X-ENDLIST")
        return ("\n".join(lines) + "\n").encode()

    def _put(self, name: str, data: bytes, *, fresh: bool = False) -> None:
        path = self.prefix + name
        if not fresh and self._replace(path, data):
            return
        # Storage.save never overwrites (it picks another name): playlists go first.
        # Unless the storage overwrites (S3 with file_overwrite: a PUT replaces the
        # object whole), where a delete would leave a moment with no playlist.
        overwrites = getattr(self.storage, "file_overwrite", False)
        if not fresh and not overwrites and self.storage.exists(path):
            self.storage.delete(path)
        saved = self.storage.save(path, ContentFile(data))
        if saved != path:
            logger.warning("Egress of Space %s: %s was saved as %s", self.space_id, path, saved)

    def _replace(self, path: str, data: bytes) -> bool:
        """Rewrite a playlist atomically where the storage is local files (a temporary
        file, then os.replace): a reader gets the old one or the new one, never a missing
        or half-written file. False for a storage without paths (save over it)."""
        try:
            target = self.storage.path(path)
        except NotImplementedError:
            return False
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, getattr(self.storage, "file_permissions_mode", None) or 0o644)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return True

    def _failed(self, what: str, exc: Exception) -> None:
        self.stats.failed += 1
        reason = f"{type(exc).__name__}: {exc}"
        logger.warning("Egress of Space %s could not %s: %s", self.space_id, what, reason)
        if self.failing:
            return
        self.failing = True
        self._call_soon(self._announce_failure, reason)

    def _call_soon(self, callback, *args) -> None:
        """From the writer thread: the loop may be gone (close gave up on the storage)."""
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            logger.info("Egress of Space %s: the event loop closed first", self.space_id)

    def _announce_failure(self, reason: str) -> None:
        task = self.loop.create_task(_send_failed(self.space_id, reason))
        _announcing.add(task)
        task.add_done_callback(_announcing.discard)


_announcing: set[asyncio.Task] = set()
# Egresses still writing their last segment, by prefix: a new one of the same Space
# waits for it before it looks for the last segment number.
_closing: dict[str, threading.Event] = {}
_closing_lock = threading.Lock()
CLOSING_WAIT_SECONDS = 30.0
# How long `close` waits for the writer (its last segments and playlists): a storage that
# never returns must not hang the room's close or the media server's shutdown.
CLOSE_WAIT_SECONDS = 30.0


async def _send_failed(space_id: int, reason: str) -> None:
    try:
        await signals.egress_failed.asend(sender=HlsEgress, space_id=space_id, reason=reason)
    except Exception:
        logger.exception("egress_failed for Space %s failed", space_id)


def _finish(done: asyncio.Future) -> None:
    if not done.done():
        done.set_result(None)


def program_date_time(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds, as EXT-X-PROGRAM-DATE-TIME wants it."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_program_date_time(value: str) -> float | None:
    """The epoch seconds of an EXT-X-PROGRAM-DATE-TIME value; None if it is not one."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_playlist(text: str) -> tuple[list[_Entry], bool]:
    """The segments of an index.m3u8 this module wrote (for a restart), and whether it
    ended."""
    entries, duration, discontinuity, ended, date = [], None, False, False, None
    for line in text.splitlines():
        line = line.strip()
        ended = ended or line == "#EXT-X-ENDLIST"
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            date = parse_program_date_time(line.split(":", 1)[1])
        elif line and not line.startswith("#") and duration is not None:
            entries.append(_Entry(line, duration, discontinuity, date))
            duration, discontinuity, date = None, False, None
    return entries, ended
