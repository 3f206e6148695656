"""The captions worker: each speaker's audio in (UDP from the media server), captions out.

One asyncio process (`manage.py runcaptions`, docs/captions.md, "Pipeline"). The receiver
only sorts datagrams into streams, one per (Space, speaker); recognition runs in a
thread pool of this process, one feed in flight per stream, and the services
(captions/services.py) are called from those threads, as a request would call them.
Every second one query says which Spaces are live with captions on, in which
language, and which seats are on their stages: audio of any other Space or seat is
dropped as it arrives (a speaker's first second on the stage may go uncaptioned), as
is a datagram whose tag is wrong (mediaserver/captions_feed.py), whose time is more
than 30 s from now, or that would open a 14th stream in one Space.

A speaker who sends nothing for QUIET_SECONDS (muted: the mixer sends only unmuted
frames) has their phrase finished at once, not when more audio comes. The worker
keeps a heartbeat in Redis (`captions-alive`, refreshed every second, gone 3 s after
it stops) so that the page can say when captions are unavailable.

A stream whose waiting audio grows past settings.CAPTIONS_MAX_BACKLOG seconds (the
machine cannot keep up) loses its oldest audio, and the room is told its captions are
behind until that stream has caught up.
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import redis.asyncio as aioredis
from django.conf import settings
from django.db import close_old_connections

from captions import engine as engines
from captions import services
from mediaserver.captions_feed import SAMPLE_RATE, BadDatagram, Chunk, parse_address, unpack
from rooms.models import Participant, Space

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# A speaker silent (or gone) this long has their engine closed; it comes back when they speak.
IDLE_SECONDS = 30.0
# Audio this close to where the speaker's last audio ended continues it (a late or lost
# frame in the mixer, the jitter of its clock): the hole is filled with silence. A longer
# gap (muted, reconnected) is a gap, and the engine ends the phrase before it.
JOIN_SECONDS = 0.25
FILL_SECONDS = 0.015  # holes shorter than this are clock jitter, not missing audio
# Audio quieter than this (RMS of int16 samples, about -50 dBFS) is not speech.
VOICE_RMS = 100.0
RECEIVE_BUFFER = 4 * 1024 * 1024
# No datagram for this long (muted, left): the phrase in progress is finished now.
QUIET_SECONDS = 0.8
TICK_SECONDS = 0.2  # how often quiet streams are looked for
MAX_STREAMS = 13  # per Space: host, 2 co-hosts, 10 speakers
MAX_SKEW = 30.0  # seconds between a datagram's time and ours
# An engine that keeps failing is made again after 1, 2, 4 ... up to 60 s.
RETRY_FIRST, RETRY_MAX = 1.0, 60.0
ALIVE_KEY = "captions-alive"
ALIVE_TTL_MS = 3000
ALIVE_EVERY = 1.0
SHUTDOWN_SECONDS = 10.0


@dataclass(eq=False)
class Stream:
    """One speaker's audio in one Space, and the engine that listens to it."""

    space_id: int
    participant_id: int
    language: str
    engine: object | None = None
    failed: bool = False  # the engine could not be made: this stream's audio is dropped
    queue: deque[Chunk] = field(default_factory=deque)
    queued: float = 0.0  # seconds of audio waiting
    ends_at: float | None = None  # epoch time where the audio given to the engine ends
    heard_at: float = field(default_factory=time.monotonic)  # last audible audio
    received_at: float = field(default_factory=time.monotonic)  # last datagram
    open: bool = False  # the engine has audio whose phrase is not finished
    flush: bool = False  # finish the phrase in progress (the speaker went quiet)
    failures: int = 0  # engine failures in a row
    retry_at: float = 0.0  # no engine before this (monotonic), after a failure
    behind: bool = False
    closing: bool = False
    task: asyncio.Task | None = None


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class CaptionsWorker:
    """The receiver, the streams and the recognition threads (see the module's doc)."""

    def __init__(
        self,
        *,
        address: str | None = None,
        max_backlog: float | None = None,
        threads: int | None = None,
        poll_seconds: float = POLL_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
    ):
        self.address = parse_address(address or settings.CAPTIONS_FEED_ADDRESS)
        self.max_backlog = settings.CAPTIONS_MAX_BACKLOG if max_backlog is None else max_backlog
        self.poll_seconds = poll_seconds
        self.idle_seconds = idle_seconds
        # Each recognition uses CAPTIONS_CPU_THREADS cores: no more at once than there
        # are cores, or the media server's 20 ms clock waits (docs/captions.md).
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        threads = threads or max(1, cores // max(1, settings.CAPTIONS_CPU_THREADS))
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="captions")
        # The poll and "behind" news: never queued behind recognition.
        self.db = ThreadPoolExecutor(1, thread_name_prefix="captions-db")
        self.captioned: dict[int, str] = {}  # live Spaces with captions on → language
        self.stage: dict[int, set[int]] = {}  # their seats on the stage, by Space
        self.unsupported: set[tuple[int, int, str]] = set()  # streams told "no model"
        self.streams: dict[tuple[int, int], Stream] = {}
        self.closing: set[Stream] = set()  # retired streams still finishing
        self.behind_spaces: set[int] = set()
        self.tasks: set[asyncio.Task] = set()
        self.transport: asyncio.DatagramTransport | None = None
        self.bad = 0  # datagrams that were not ours
        self.discarded = 0  # datagrams of Spaces without captions
        self._bad_logged_at = float("-inf")
        self.poll_failing = False
        self.redis: aioredis.Redis | None = None
        self.alive_task: asyncio.Task | None = None

    # The receiver: in the event loop, never waits.

    async def start(self) -> tuple[str, int]:
        """Listen on the feed address; returns the address bound (port 0 picks one)."""
        loop = asyncio.get_running_loop()
        host, port = self.address
        family = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((host, port))
        sock.setblocking(False)
        worker = self

        class Protocol(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                worker.received(data)

            def error_received(self, exc):
                logger.debug("Captions feed socket: %s", exc)

        self.transport, _ = await loop.create_datagram_endpoint(Protocol, sock=sock)
        self.alive_task = loop.create_task(self._keep_alive())
        await self.poll()
        return sock.getsockname()[:2]

    def received(self, data: bytes) -> None:
        """One datagram: queue its audio on its speaker's stream, or drop it."""
        try:
            chunk = unpack(data)
        except BadDatagram as exc:
            self.bad += 1
            if time.monotonic() - self._bad_logged_at > 60:
                self._bad_logged_at = time.monotonic()
                logger.warning("Ignored a datagram that is not captions audio (%s)", exc)
            return
        language = self.captioned.get(chunk.space_id)
        if language is None or chunk.participant_id not in self.stage.get(chunk.space_id, ()):
            self.discarded += 1  # no captions in this Space, or not a seat on its stage
            return
        if abs(chunk.at - time.time()) > MAX_SKEW:
            self.discarded += 1  # a replay, or a clock gone wrong
            return
        key = (chunk.space_id, chunk.participant_id)
        stream = self.streams.get(key)
        if stream is not None and stream.language != language:
            self.retire(stream)
            stream = None
        if stream is None:
            if sum(1 for s in self.streams if s[0] == chunk.space_id) >= MAX_STREAMS:
                self.discarded += 1
                return
            stream = self.streams[key] = Stream(chunk.space_id, chunk.participant_id, language)
        if stream.failed:
            return
        now = time.monotonic()
        if now < stream.retry_at:
            return  # its engine failed a moment ago
        stream.received_at = now
        stream.flush = False
        if float(np.sqrt(np.mean(np.square(chunk.pcm, dtype=np.float64)))) >= VOICE_RMS:
            stream.heard_at = time.monotonic()
        stream.queue.append(chunk)
        stream.queued += chunk.duration
        dropped = False
        while stream.queued > self.max_backlog and len(stream.queue) > 1:
            stream.queued -= stream.queue.popleft().duration
            dropped = True
        if dropped:
            self._set_behind(stream, True)
        self._kick(stream)

    # Streams: one drain task each, feeding its engine in the pool.

    def _kick(self, stream: Stream) -> None:
        if stream.task is None or stream.task.done():
            stream.task = asyncio.get_running_loop().create_task(self._drain(stream))

    async def _drain(self, stream: Stream) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                if stream.queue:
                    chunks = list(stream.queue)
                    stream.queue.clear()
                    stream.queued = 0.0
                    await loop.run_in_executor(self.pool, self._recognise, stream, chunks)
                    if stream.behind and stream.queued < self.max_backlog / 2:
                        self._set_behind(stream, False)
                elif stream.closing:
                    await loop.run_in_executor(self.pool, self._finish, stream)
                    self.closing.discard(stream)
                    return
                elif stream.flush:
                    stream.flush = False
                    await loop.run_in_executor(self.pool, self._finish, stream)
                else:
                    return
        except Exception:
            logger.exception("Captions of participant %s failed", stream.participant_id)
            self.closing.discard(stream)

    def retire(self, stream: Stream) -> None:
        """Close a stream's engine (its last phrase is captioned) once its audio is done."""
        if self.streams.get((stream.space_id, stream.participant_id)) is stream:
            del self.streams[(stream.space_id, stream.participant_id)]
        stream.closing = True
        self.closing.add(stream)
        self._set_behind(stream, False)
        self._kick(stream)

    def _set_behind(self, stream: Stream, behind: bool) -> None:
        """Tell the room once when a stream of its falls behind, and once when none is."""
        stream.behind = behind
        space_id = stream.space_id
        now = any(
            s.behind for s in (*self.streams.values(), *self.closing) if s.space_id == space_id
        )
        if now == (space_id in self.behind_spaces):
            return
        if now:
            self.behind_spaces.add(space_id)
        else:
            self.behind_spaces.discard(space_id)
        self._in_db(self._send_behind, space_id, now)

    def _in_db(self, function, *args) -> None:
        future = asyncio.get_running_loop().run_in_executor(self.db, function, *args)
        task = asyncio.ensure_future(future)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # In the threads: the engine and the services.

    def _recognise(self, stream: Stream, chunks: list[Chunk]) -> None:
        close_old_connections()
        try:
            if stream.engine is None:
                try:
                    stream.engine = engines.load(stream.language)
                except Exception:
                    # No model for the language (or it cannot load): said once per
                    # stream, not again each time the stream comes back after idling.
                    stream.failed = True
                    seen = (stream.space_id, stream.participant_id, stream.language)
                    if seen not in self.unsupported:
                        self.unsupported.add(seen)
                        logger.exception(
                            "No captions engine for %r: Space %s is not captioned",
                            stream.language,
                            stream.space_id,
                        )
                    return
            for at, pcm in self._runs(stream, chunks):
                try:
                    segments = stream.engine.feed(pcm, at)
                except Exception:
                    # A fresh engine for what comes next, after a while; this phrase is lost.
                    logger.exception("Captions engine failed on Space %s", stream.space_id)
                    self._failed(stream)
                    return
                stream.failures = 0
                stream.open = True
                self._publish(stream, segments)
        finally:
            close_old_connections()

    @staticmethod
    def _failed(stream: Stream) -> None:
        """Drop the engine; the next one is made after a backoff (1 s, 2 s, ... 60 s)."""
        stream.engine = None
        stream.open = False
        stream.failures += 1
        delay = min(RETRY_MAX, RETRY_FIRST * 2 ** (stream.failures - 1))
        stream.retry_at = time.monotonic() + delay

    def _runs(self, stream: Stream, chunks: list[Chunk]):
        """The chunks as contiguous pieces of audio, each with the time of its start."""
        pieces: list[np.ndarray] = []
        start = stream.ends_at
        for chunk in chunks:
            end = stream.ends_at
            if end is not None and -JOIN_SECONDS <= chunk.at - end <= JOIN_SECONDS:
                hole = chunk.at - end
                if hole >= FILL_SECONDS:
                    pieces.append(np.zeros(round(hole * SAMPLE_RATE), dtype=np.int16))
                    end += hole
            else:
                if pieces:
                    yield start, np.concatenate(pieces)
                pieces, start, end = [], chunk.at, chunk.at
            pieces.append(chunk.pcm)
            stream.ends_at = end + chunk.duration
        if pieces:
            yield start, np.concatenate(pieces)

    def _finish(self, stream: Stream) -> None:
        """The phrase in progress is over: caption it, and start afresh (an engine is
        cheap: the model is shared)."""
        stream.open = False
        if stream.engine is None:
            return
        close_old_connections()
        try:
            self._publish(stream, stream.engine.close())
        except Exception:
            logger.exception("Captions engine failed to close on Space %s", stream.space_id)
        finally:
            stream.engine = None
            close_old_connections()

    def _publish(self, stream: Stream, segments) -> None:
        for segment in segments:
            try:
                if segment.final:
                    services.caption_segment_add(
                        space_id=stream.space_id,
                        participant_id=stream.participant_id,
                        key=segment.key,
                        text=segment.text,
                        started_at=_when(segment.start),
                        ended_at=_when(max(segment.end, segment.start)),
                        language=stream.language,
                    )
                else:
                    services.caption_partial_send(
                        space_id=stream.space_id,
                        participant_id=stream.participant_id,
                        key=segment.key,
                        text=segment.text,
                        started_at=_when(segment.start),
                    )
            except Exception:
                logger.exception("Could not caption Space %s", stream.space_id)

    def _send_behind(self, space_id: int, behind: bool) -> None:
        close_old_connections()
        try:
            services.captions_behind_send(space_id=space_id, behind=behind)
        except Exception:
            logger.exception("Could not tell Space %s its captions are behind", space_id)
        finally:
            close_old_connections()

    @staticmethod
    def _captioned_spaces() -> tuple[dict[int, str], dict[int, set[int]]]:
        """The live Spaces with captions on (their language), and the seats on their
        stages now (host, co-hosts, speakers who have not left)."""
        close_old_connections()
        try:
            live = Space.objects.filter(state=Space.State.LIVE, captions=True)
            captioned = dict(live.values_list("id", "captions_language"))
            stage: dict[int, set[int]] = {space_id: set() for space_id in captioned}
            seats = Participant.objects.filter(
                space_id__in=captioned, left_at__isnull=True, role__in=Participant.STAGE_ROLES
            ).values_list("space_id", "id")
            for space_id, seat_id in seats:
                stage[space_id].add(seat_id)
            return captioned, stage
        finally:
            close_old_connections()

    # The clock: which Spaces are captioned, which streams are done.

    async def poll(self) -> None:
        """Read which Spaces are captioned; close the streams that should stop."""
        loop = asyncio.get_running_loop()
        try:
            self.captioned, self.stage = await loop.run_in_executor(self.db, self._captioned_spaces)
            if self.poll_failing:
                self.poll_failing = False
                logger.warning("Reading which Spaces have captions again")
        except Exception as exc:
            # The database is away: keep the last answer, and say so once, not every second.
            if not self.poll_failing:
                self.poll_failing = True
                logger.warning("Could not read which Spaces have captions: %s", exc)
        now = time.monotonic()
        for stream in list(self.streams.values()):
            if (
                self.captioned.get(stream.space_id) != stream.language
                or stream.participant_id not in self.stage.get(stream.space_id, ())
                or now - stream.heard_at > self.idle_seconds
            ):
                self.retire(stream)

    def finish_quiet(self) -> None:
        """Finish the phrase of each speaker who has sent nothing for QUIET_SECONDS."""
        now = time.monotonic()
        for stream in self.streams.values():
            if stream.open and not stream.flush and now - stream.received_at > QUIET_SECONDS:
                stream.flush = True
                self._kick(stream)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then close every stream (their phrases are finished)."""
        polled = time.monotonic()
        tick = min(TICK_SECONDS, self.poll_seconds)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), tick)
            if stop.is_set():
                break
            self.finish_quiet()
            if time.monotonic() - polled >= self.poll_seconds:
                polled = time.monotonic()
                await self.poll()
        await self.close()

    async def _keep_alive(self) -> None:
        """Tell the pages this worker is up: a key that lapses soon after it stops."""
        failing = False
        while True:
            try:
                if self.redis is None:
                    self.redis = aioredis.from_url(
                        settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
                    )
                await self.redis.set(ALIVE_KEY, "1", px=ALIVE_TTL_MS)
                failing = False
            except Exception as exc:
                if not failing:
                    failing = True
                    logger.warning("Captions heartbeat failed: %s", exc)
            await asyncio.sleep(ALIVE_EVERY)

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        if self.alive_task is not None:
            self.alive_task.cancel()
            with contextlib.suppress(BaseException):
                await self.alive_task
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
        for stream in list(self.streams.values()):
            self.retire(stream)
        draining = [s.task for s in self.closing if s.task is not None]
        if draining:
            await asyncio.wait(draining, timeout=SHUTDOWN_SECONDS)
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=SHUTDOWN_SECONDS)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.db.shutdown(wait=False, cancel_futures=True)
