"""Writes for clips: cutting up to 30 seconds of a recording into a file of its own, from
a replay or from the last seconds of a live Space; keeping, deleting and expiring them.

The cut copies Opus packets as they are (no re-encoding). A decoder needs a few packets
before the first sample it plays to converge (RFC 7845 §4.6: 80 ms), and the asked range
rarely starts or ends on a 20 ms packet boundary, so the clip holds the packets covering
the range plus up to 4 before it, and an MP4 edit list tells the player to play exactly
the asked samples: the pre-roll and the rest of the last packet are decoded, not played.
"""

import logging
import struct
from collections import deque
from typing import NoReturn

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotAllowed
from core.ratelimit import rate_limit
from core.tasks import enqueue_on_commit
from mediaserver.egress import fmp4
from recordings import files
from recordings.errors import RecordingError
from recordings.models import CLIP_MAX_SECONDS, FILE_NAME, Clip, Recording, new_clip_code
from rooms.access import may_listen, shut_out
from rooms.models import Space

log = logging.getLogger(__name__)

RATE = fmp4.TIMESCALE
PREROLL_PACKETS = 4  # 80 ms of 20 ms packets
PREROLL_REACH = PREROLL_PACKETS * 2880  # samples: even of 60 ms packets
# A live clip needs something to hold: less than this is "nothing to clip yet".
LIVE_MIN_SECONDS = 1.0
# Floats from forms and JSON: an end this close past the recording's still fits.
SLACK = 0.001
# What reading a missing, truncated or garbled init segment or fragment raises.
CUT_ERRORS = (*files.STORAGE_ERRORS, ValueError, IndexError, KeyError, struct.error)


class ClipError(RecordingError):
    """A clip that cannot be cut, kept or deleted as asked (a clear message, nothing changed)."""


def clip_path(code: str) -> str:
    return f"clips/{code}.mp4"


# Cutting -----------------------------------------------------------------------------------


def _allowed(space: Space, actor) -> None:
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Sign in to clip a Space."), code="sign_in")
    if shut_out(space.host, actor):
        raise NotAllowed(_("You cannot clip this Space."), code="blocked")


def _rate_limit(actor) -> None:
    rate_limit(
        key=f"clip-create:{actor.pk}",
        limit=settings.CLIPS_PER_HOUR,
        period=3600,
        message=_("You made many clips in the last hour: try again later."),
    )


def _replay_recording(*, recording: Recording | None, space: Space | None) -> Recording:
    # Read afresh: the host may have trimmed or deleted it since the caller read it.
    found = Recording.objects.select_related("space__host")
    found = found.filter(pk=recording.pk) if recording is not None else found.filter(space=space)
    recording = found.first()
    if recording is None:
        raise ClipError(_("This Space was not recorded."), code="not_recorded")
    refusal = recording.unplayable_reason()
    if refusal is not None:
        message, code = refusal
        raise ClipError(message, code=code)
    if not recording.duration:
        raise ClipError(
            _("The recording is still being measured: try again in a moment."),
            code="recording_measuring",
        )
    return recording


def _check_range(recording: Recording, start: float, duration: float) -> None:
    if not 0 < duration <= CLIP_MAX_SECONDS:
        message = _("A clip lasts more than 0 and at most %(max)s seconds.")
        raise ClipError(
            {"duration": ClipError(message % {"max": CLIP_MAX_SECONDS}, code="clip_length")}
        )
    first, end = recording.trim_start, recording.duration
    if not first <= start or start + duration > end + SLACK:
        message = _("The clip must lie within the recording: from %(first)s to %(end)s seconds.")
        bounds = {"first": round(first, 1), "end": round(end, 1)}
        raise ClipError({"start": ClipError(message % bounds, code="clip_outside")})


def clip_create(
    *,
    actor,
    start: float,
    duration: float,
    recording: Recording | None = None,
    space: Space | None = None,
    title: str = "",
) -> Clip:
    """Cut `duration` seconds (≤ 30) from `start` (recording timeline) of a ready
    recording, given or the Space's, into a clip of its own."""
    if recording is None and space is None:
        raise ValueError("a recording or a Space")
    recording = _replay_recording(recording=recording, space=space)
    _allowed(recording.space, actor)
    _check_range(recording, start, duration)
    _rate_limit(actor)
    return _cut_and_save(
        recording=recording, actor=actor, start=start, duration=duration, title=title
    )


def clip_create_live(*, space: Space, actor, title: str = "") -> Clip:
    """Cut the last 30 seconds (fewer in a younger Space) of a live recorded Space, from
    the segments its egress wrote so far."""
    if not space.is_live:
        raise ClipError(_("This Space is not live."), code="not_live")
    recording = Recording.objects.select_related("space__host").filter(space=space).first()
    if not space.record or recording is None:
        raise ClipError(_("This Space is not recorded."), code="not_recorded")
    if recording.state == Recording.State.DELETED:
        message, code = recording.unplayable_reason()
        raise ClipError(message, code=code)
    _allowed(space, actor)
    if not may_listen(space, user=actor):  # removed from this Space: it is not theirs to hear
        raise NotAllowed(_("You cannot clip this Space."), code="removed")
    playlist = files.playlist_read(recording.prefix)
    end = 0.0
    if playlist is not None and playlist.segments:
        # The last sample written, on the timeline a player hears (after the pre-skip).
        try:
            end = playlist.duration - _opus_head(recording.prefix)[1] / RATE
        except CUT_ERRORS:
            _cut_failed(recording)
    if end < LIVE_MIN_SECONDS:
        raise ClipError(_("Nothing to clip yet: try again in a moment."), code="nothing_yet")
    start = max(0.0, end - CLIP_MAX_SECONDS)
    _rate_limit(actor)
    return _cut_and_save(
        recording=recording, actor=actor, start=start, duration=end - start, title=title, live=True
    )


def _cut_and_save(
    *, recording: Recording, actor, start: float, duration: float, title: str, live: bool = False
) -> Clip:
    code = new_clip_code()
    try:
        data = clip_file(recording.prefix, start=start, duration=duration)
    except CUT_ERRORS:
        _cut_failed(recording)
    if data is None:
        raise ClipError(_("Nothing was recorded there."), code="clip_empty")
    data, played = data
    # The file first, outside any transaction (storage never runs inside one here); the
    # row only for a file that was saved, and the file goes again if the row cannot be.
    path = clip_path(code)
    store = files.storage()
    try:
        path = store.save(path, ContentFile(data))
    except files.STORAGE_ERRORS:
        log.warning("could not save %s", path, exc_info=True)
        raise ClipError(
            _("The clip could not be saved: try again later."), code="clip_failed"
        ) from None
    try:
        with transaction.atomic():
            # The recording may have been deleted (or expired) while the file was cut: a
            # clip of it would outlive it. Its delete takes this lock too (clips_drop).
            locked = Recording.objects.select_for_update().get(pk=recording.pk)
            if locked.state == Recording.State.DELETED or locked.is_expired:
                message, code = locked.unplayable_reason()
                raise ClipError(message, code=code)
            return Clip.objects.create(
                code=code,
                recording=recording,
                creator=actor,
                start=start,
                duration=played / RATE,
                title=title.strip()[:100],
                live=live,
                path=path,
                size=len(data),
            )
    except Exception:
        _file_delete(path)
        raise


def _cut_failed(recording: Recording) -> NoReturn:
    log.warning("could not cut a clip of %s", recording.prefix, exc_info=True)
    raise ClipError(_("The clip could not be cut: try again later."), code="clip_failed") from None


def _opus_head(prefix: str) -> tuple[int, int]:
    """The recording's channels and Opus pre-skip (its init segment's dOps): players drop
    the pre-skip first, so the recording's second t is sample t·48000 + pre-skip of the
    encoded stream."""
    with files.storage().open(prefix + files.INIT, "rb") as handle:
        init = handle.read()
    at = init.find(b"dOps")
    if at < 0:
        return 1, 0
    return init[at + 5], struct.unpack_from(">H", init, at + 6)[0]


def clip_file(prefix: str, *, start: float, duration: float) -> tuple[bytes, int] | None:
    """The MP4 of `duration` seconds from `start` (recording timeline), and how many
    samples it plays (fewer at the live edge); None when no packet covers the range."""
    playlist = files.playlist_read(prefix)
    if playlist is None:
        return None
    channels, pre_skip = _opus_head(prefix)
    first = round(start * RATE) + pre_skip
    last = first + round(duration * RATE)
    before = deque(maxlen=PREROLL_PACKETS)  # (position, payload, duration)
    kept = []
    at = 0.0
    store = files.storage()
    for segment in playlist.segments:
        segment_start = round(at * RATE)
        at += segment.duration
        if round(at * RATE) <= first - PREROLL_REACH or not FILE_NAME.fullmatch(segment.uri):
            continue  # wholly before the pre-roll (or not a segment of ours)
        if segment_start >= last:
            break
        with store.open(prefix + segment.uri, "rb") as handle:
            _decode_time, payloads, durations = fmp4.fragment_samples(handle.read())
        position = segment_start
        for payload, samples in zip(payloads, durations, strict=True):
            if position + samples <= first:
                before.append((position, payload, samples))
            elif position < last:
                kept.append((position, payload, samples))
            position += samples
    if not kept:
        return None
    packets = [*before, *kept]
    media_time = first - packets[0][0]
    played = min(last, kept[-1][0] + kept[-1][2]) - first
    data = fmp4.audio_file(
        [p[1] for p in packets],
        [p[2] for p in packets],
        media_time=media_time,
        duration=played,
        channels=channels,
    )
    return data, played


# The host's and the creator's actions ------------------------------------------------------


def _lock(clip: Clip) -> Clip:
    clip = Clip.objects.select_for_update().filter(pk=clip.pk).first()
    if clip is None or clip.state == Clip.State.DELETED:
        raise ClipError(_("This clip was deleted."), code="clip_deleted")
    return Clip.objects.select_related("recording__space__host", "creator").get(pk=clip.pk)


@transaction.atomic
def clip_keep(*, clip: Clip, actor, kept: bool = True) -> Clip:
    """Keep a clip past its recording's expiry, or stop keeping it (host only)."""
    clip = _lock(clip)
    if actor is None or actor.pk != clip.recording.space.host_id:
        raise NotAllowed(_("Only the host can keep a clip."), code="not_host")
    if not kept and clip.recording.state == Recording.State.DELETED:
        # Its recording is gone: unkept, it would have nothing to expire with.
        raise ClipError(
            _("Its recording is gone: delete the clip instead."), code="recording_deleted"
        )
    clip.kept = kept
    clip.save(update_fields=["kept"])
    return clip


@transaction.atomic
def clip_delete(*, clip: Clip, actor) -> Clip:
    """Delete a clip (its host or its creator): the row says so, its file goes after commit."""
    clip = _lock(clip)
    is_host = actor is not None and actor.pk == clip.recording.space.host_id
    if not is_host and (actor is None or actor.pk != clip.creator_id):
        raise NotAllowed(_("Only the host or whoever made it can delete a clip."), code="not_yours")
    _mark_deleted([clip])
    enqueue_on_commit("recordings.tasks.delete_clip_files", [clip.pk])
    return clip


def _mark_deleted(clips) -> None:
    now = timezone.now()
    Clip.objects.filter(pk__in=[c.pk for c in clips]).update(
        state=Clip.State.DELETED, deleted_at=now
    )
    for clip in clips:
        clip.state, clip.deleted_at = Clip.State.DELETED, now


# With the recording ------------------------------------------------------------------------


def clips_drop(*, recording: Recording) -> list[int]:
    """The recording is deleted (inside its transaction): its clips the host did not keep
    are deleted too; return their ids, whose files go after commit."""
    clips = list(
        Clip.objects.select_for_update()
        .filter(recording=recording, state=Clip.State.READY, kept=False)
        .order_by("pk")
    )
    _mark_deleted(clips)
    return [clip.pk for clip in clips]


def clips_expire(*, recording: Recording) -> int:
    """The recording expires (inside the expiry batch): delete its unkept clips' files,
    then their rows. An OSError leaves them, and the recording, to the next run."""
    clips = list(
        Clip.objects.select_for_update().filter(
            recording=recording, state=Clip.State.READY, kept=False
        )
    )
    store = files.storage()
    for clip in clips:
        try:
            store.delete(clip.path)
        except files.STORAGE_ERRORS as exc:  # the caller leaves the recording to the next run
            raise OSError(f"could not delete {clip.path}") from exc
    _mark_deleted(clips)
    return len(clips)


def dropped_clip_files_delete(*, recording: Recording) -> int:
    """Delete the files of a deleted recording's deleted clips (its delete-files task)."""
    dropped = Clip.objects.filter(recording=recording, state=Clip.State.DELETED)
    return clip_files_delete(clip_ids=list(dropped.values_list("pk", flat=True)))


def clip_files_delete(*, clip_ids: list[int]) -> int:
    """Delete deleted clips' files (a task, safe to run twice)."""
    done = 0
    for path in Clip.objects.filter(pk__in=clip_ids, state=Clip.State.DELETED).values_list(
        "path", flat=True
    ):
        done += _file_delete(path)
    return done


def _file_delete(path: str) -> int:
    try:
        files.storage().delete(path)
    except files.STORAGE_ERRORS:
        log.warning("could not delete %s", path, exc_info=True)
        return 0
    return 1
