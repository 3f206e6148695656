"""Writes for replays: what a recorded Space's replay shows beside the audio, noted while
it is live (who speaks, reactions, pins), its waveform once it is done, its plays.

The live notes are called by receivers of rooms' and the media server's signals, many
times a second in a busy room: an unrecorded Space costs no query (a short in-process
memory of which Spaces are recorded), a speaker still speaking costs nothing.
"""

import io
import logging
import math
import time
from datetime import UTC, datetime

import av
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ratelimit import rate_limit
from recordings import files
from recordings.models import Recording, ReplayEvent, SpeakingTurn
from rooms import selectors as rooms_selectors
from rooms.models import Participant

log = logging.getLogger(__name__)

State = Recording.State
LOOKUP_SECONDS = 10.0  # how long a process trusts what it read of a Space's recording
MEMORY_MAX = 10_000  # Spaces remembered per process before forgetting them all
WAVEFORM_POINTS = 400  # at most; one per 0.1 s in a shorter recording
PLAY_AGAIN_SECONDS = 3600  # a replay played again in the same session counts after this
# Plays started per minute: from one session; from one address (a household, an office).
PLAYS_PER_SESSION, PLAYS_PER_IP = 30, 120

_live: dict[int, tuple[float, int | None]] = {}
_speaking: dict[int, frozenset[int]] = {}


def replay_memory_clear() -> None:
    """Forget which Spaces are recorded and who speaks (tests; a process may too)."""
    _live.clear()
    _speaking.clear()


def live_recording_id(space_id: int) -> int | None:
    """The recording being made of this live Space, if any: read at most every
    LOOKUP_SECONDS per Space and process, never again for one known to be unrecorded."""
    now = time.monotonic()
    known = _live.get(space_id)
    if known is not None and now < known[0]:
        return known[1]
    recording_id = (
        Recording.objects.filter(
            space_id=space_id,
            ended_at__isnull=True,
            # Failed for now while live: the egress goes on trying, later segments land.
            state__in=[State.RECORDING, State.FAILED],
        )
        .values_list("pk", flat=True)
        .first()
    )
    _remember(space_id, now + LOOKUP_SECONDS, recording_id)
    return recording_id


def replay_live_remember(*, space_id: int, recording_id: int | None) -> None:
    """A Space went live in this process: whether it is recorded is known without a
    query (a Space's `record` never changes once it is live)."""
    expires = math.inf if recording_id is None else time.monotonic() + LOOKUP_SECONDS
    _remember(space_id, expires, recording_id)


def _remember(space_id: int, expires: float, recording_id: int | None) -> None:
    if len(_live) >= MEMORY_MAX:
        _live.clear()
    _live[space_id] = (expires, recording_id)


def replay_speaking_unchanged(*, space_id: int, speaking) -> bool:
    """Whether this is the media server repeating who speaks (no query, no thread)."""
    return _speaking.get(space_id) == frozenset(speaking)


def replay_speaking_note(*, space_id: int, speaking, at: datetime | None = None) -> bool:
    """Who speaks changed (or did not: the media server repeats it every 2 s): close the
    turns of those who stopped, open turns for those who started. True if written."""
    now_speaking = frozenset(speaking)
    if _speaking.get(space_id) == now_speaking:
        return False
    recording_id = live_recording_id(space_id)
    if recording_id is not None:
        _turns_update(recording_id, space_id, now_speaking, at or timezone.now())
    if len(_speaking) >= MEMORY_MAX:
        _speaking.clear()
    _speaking[space_id] = now_speaking
    return recording_id is not None


@transaction.atomic
def _turns_update(recording_id: int, space_id: int, speaking: frozenset[int], at) -> None:
    open_turns = SpeakingTurn.objects.filter(recording_id=recording_id, ended_at__isnull=True)
    open_turns.exclude(participant_id__in=speaking).update(ended_at=at)
    talking = set(open_turns.values_list("participant_id", flat=True))
    started = speaking - talking
    if started:
        known = Participant.objects.filter(pk__in=started, space_id=space_id)
        SpeakingTurn.objects.bulk_create(
            SpeakingTurn(recording_id=recording_id, participant_id=pk, started_at=at)
            for pk in known.values_list("pk", flat=True)
        )


def replay_turns_close(*, recording: Recording, at: datetime) -> int:
    """The Space ended: whoever still spoke stopped then."""
    _speaking.pop(recording.space_id, None)
    _live.pop(recording.space_id, None)
    return SpeakingTurn.objects.filter(recording=recording, ended_at__isnull=True).update(
        ended_at=at
    )


def replay_reactions_note(
    *, space_id: int, counts: dict[str, int], reactors: dict, at: float
) -> ReplayEvent | None:
    """A batch of reactions went to a recorded Space's room: the replay floats it again."""
    recording_id = live_recording_id(space_id)
    if recording_id is None or not counts:
        return None
    return ReplayEvent.objects.create(
        recording_id=recording_id,
        kind=ReplayEvent.Kind.REACTIONS,
        at=datetime.fromtimestamp(at, tz=UTC),
        data={"counts": counts, "reactors": {str(k): v for k, v in reactors.items()}},
    )


def replay_pins_note(*, space, pins: list[dict] | None = None) -> ReplayEvent | None:
    """The pinned tweets changed (or a recording starts: as they are then), in a
    recorded Space: the replay shows them as they were at each moment. Only their ids:
    each viewer sees them as the timeline would show them then (a deleted tweet, or one
    by someone a block keeps from the viewer, is left out)."""
    if not space.record:
        return None
    recording_id = live_recording_id(space.pk)
    if recording_id is None:
        return None
    if pins is None:
        pins = rooms_selectors.pins(space)
    return ReplayEvent.objects.create(
        recording_id=recording_id,
        kind=ReplayEvent.Kind.PINS,
        at=timezone.now(),
        data={"tweet_ids": [pin["tweet_id"] for pin in pins]},
    )


# Waveform ----------------------------------------------------------------------------------


class _Chained(io.RawIOBase):
    """The init segment and the media segments as one stream, one file open at a time:
    an hour of audio is decoded in the memory of a segment."""

    def __init__(self, store, names: list[str]):
        self.store, self.names, self.handle = store, list(names), None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self.handle is None:
                if not self.names:
                    return 0
                self.handle = self.store.open(self.names.pop(0), "rb")
            data = self.handle.read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self.handle.close()
            self.handle = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
        super().close()


def waveform_peaks(prefix: str, playlist: files.Playlist) -> list[float]:
    """The loudest sample (0 to 1) in each of up to WAVEFORM_POINTS equal stretches of
    the recording, decoded segment after segment."""
    duration = playlist.duration
    if duration <= 0 or not playlist.segments:
        return []
    points = max(1, min(WAVEFORM_POINTS, math.ceil(duration * 10)))
    peaks = [0.0] * points
    names = [prefix + files.INIT] + [prefix + s.uri for s in playlist.segments]
    stream = _Chained(files.storage(), names)
    decoded = 0  # samples so far: the recording's own timeline, gaps filled by the egress
    try:
        with av.open(io.BufferedReader(stream), format="mp4") as container:
            audio = container.streams.audio[0]
            rate = audio.codec_context.sample_rate or 48000
            for frame in container.decode(audio):
                samples = abs(frame.to_ndarray())
                if frame.format.is_planar and samples.ndim > 1:
                    samples = samples.max(axis=0)
                samples = samples.reshape(-1)
                if not frame.format.is_planar and frame.layout.nb_channels > 1:
                    samples = samples.reshape(-1, frame.layout.nb_channels).max(axis=1)
                if samples.dtype.kind == "i":
                    samples = samples / 32768.0
                start, count = decoded, len(samples)
                decoded += count
                first = min(points - 1, int(start / rate / duration * points))
                last = min(points - 1, int((decoded - 1) / rate / duration * points))
                for index in range(first, last + 1):
                    lo = max(0, math.ceil(index * duration / points * rate) - start)
                    hi = min(count, math.ceil((index + 1) * duration / points * rate) - start)
                    if hi > lo:
                        peaks[index] = max(peaks[index], float(samples[lo:hi].max()))
    finally:
        stream.close()
    return [round(min(1.0, peak), 3) for peak in peaks]


def recording_waveform(*, recording_id: int) -> Recording | None:
    """Measure a done recording's waveform once (a task after it was measured). Files
    that cannot be read or decoded leave it empty: the replay plays without one."""
    recording = Recording.objects.filter(pk=recording_id, state=State.READY).first()
    if recording is None:
        return None
    playlist = files.playlist_read(recording.prefix)
    if playlist is None:
        return recording
    try:
        peaks = waveform_peaks(recording.prefix, playlist)
    except (OSError, av.FFmpegError, IndexError, ValueError):
        log.warning("could not measure the waveform of %s", recording.prefix, exc_info=True)
        return recording
    recording.waveform = peaks
    Recording.objects.filter(pk=recording.pk).update(waveform=peaks)
    return recording


# Plays -------------------------------------------------------------------------------------


def recording_play(*, recording: Recording, session, client_ip: str) -> int:
    """Playback of a replay started: counted once per session and hour, only in a session
    that already exists (the replay's page makes one: a bare POST must not fill the
    session table); rate-limited per session and per client address (RateLimited).
    The plays now."""
    message = _("Too many replays started: wait a minute.")
    rate_limit(key=f"replay-play-ip:{client_ip}", limit=PLAYS_PER_IP, period=60, message=message)
    key = session.session_key
    if key is not None:
        rate_limit(key=f"replay-play:{key}", limit=PLAYS_PER_SESSION, period=60, message=message)
        played = session.get("replays_played", {})
        pk, now = str(recording.pk), time.time()
        if now - played.get(pk, 0) >= PLAY_AGAIN_SECONDS:
            Recording.objects.filter(pk=recording.pk).update(plays=F("plays") + 1)
            played = {k: v for k, v in played.items() if now - v < PLAY_AGAIN_SECONDS}
            played[pk] = now
            session["replays_played"] = played
    return Recording.objects.values_list("plays", flat=True).get(pk=recording.pk)
