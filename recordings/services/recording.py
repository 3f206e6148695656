"""Writes for recordings: their life along the Space's, the host's delete and trim, expiry.

A recording never stops a Space: the receivers that call these run inside rooms'
transactions, so nothing here touches storage there; files are measured and deleted by
tasks queued on commit (`recordings.tasks`), whose failures stay theirs.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.tasks import enqueue_on_commit
from notifications.models import Notification
from notifications.services import notifications_send
from recordings import files, signals
from recordings.errors import RecordingError
from recordings.models import Recording, storage_prefix
from recordings.services import clips
from rooms.access import access_host
from rooms.events import space_event_emit
from rooms.models import Space

log = logging.getLogger(__name__)

State = Recording.State
EXPIRE_BATCH = 100


def _lock(recording: Recording) -> Recording:
    """Lock the recording's row and reload it: the host's actions and expiry queue here."""
    return Recording.objects.select_for_update().select_related("space").get(pk=recording.pk)


# Along the Space ---------------------------------------------------------------------------


def recording_start(*, space: Space) -> Recording | None:
    """A recorded Space went live (inside its transaction): its recording begins."""
    if not space.record:
        return None
    recording, _created = Recording.objects.get_or_create(
        space=space,
        defaults={"prefix": storage_prefix(space.pk), "started_at": space.started_at},
    )
    return recording


def space_files_settle(*, space: Space) -> None:
    """A Space ended (inside its transaction): a recorded one's recording is done and
    measured once committed; an unrecorded one's HLS files (written for HLS listeners)
    are deleted once committed."""
    if not space.record:
        # Its HLS listeners play a few seconds behind: the files go after the live grace.
        delete = import_string("recordings.tasks.delete_space_files")
        grace = settings.LIVE_HLS_GRACE_SECONDS
        transaction.on_commit(lambda: delete.apply_async((space.pk,), countdown=grace))
        return
    recording = recording_start(space=space)  # a Space that went live before this app
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    recording.end(space.ended_at or timezone.now())
    recording.save(update_fields=["state", "ended_at", "expires_at"])
    enqueue_on_commit("recordings.tasks.measure_recording", recording.pk)


@transaction.atomic
def recording_measure(*, recording_id: int, duration: float | None = None) -> Recording | None:
    """Read the duration from the playlist (or take the egress's) and the size from
    storage. A Space whose egress never wrote a playlist has nothing to replay."""
    recording = Recording.objects.select_for_update().filter(pk=recording_id).first()
    if recording is None or recording.state == State.DELETED:
        return None
    playlist = files.playlist_read(recording.prefix)
    if duration is None:
        duration = playlist.duration if playlist is not None else 0.0
    recording.duration = duration
    try:
        recording.size = files.prefix_size(recording.prefix)
    except OSError:
        log.warning("could not measure %s", recording.prefix, exc_info=True)
    nothing = _("Nothing was recorded.")
    if playlist is None and recording.state == State.READY and recording.ended_at:
        recording.state = State.FAILED
        recording.failed_at = recording.failed_at or timezone.now()
        recording.failure_reason = recording.failure_reason or nothing
    elif playlist is not None and recording.state == State.FAILED and recording.ended_at:
        # Measured while the egress was still writing (or rewriting) the playlist: the
        # recording is there after all; a failure during the Space stays noted.
        recording.state = State.READY
        if recording.failure_reason == nothing:
            recording.failed_at, recording.failure_reason = None, ""
    recording.save(update_fields=["duration", "size", "state", "failed_at", "failure_reason"])
    final = playlist is not None and playlist.ended and recording.state == State.READY
    if final and not recording.waveform:
        # The replay's waveform, once, when the files are final: decoding takes a while.
        enqueue_on_commit("recordings.tasks.measure_waveform", recording.pk)
    return recording


@transaction.atomic
def recording_fail(*, space_id: int, reason: str) -> bool:
    """The egress could not write this Space's files: the recording is failed for now
    (what was written is kept, later segments may land), and the host is told once, by
    a notification and on their page. The Space goes on. True when the host was told."""
    recording = (
        Recording.objects.select_for_update().select_related("space").filter(space_id=space_id)
    ).first()
    if recording is None or recording.state == State.DELETED:
        return False
    reason = public_reason(reason)
    recording.failure_reason = reason
    if recording.state != State.RECORDING or not recording.space.is_live:
        # Told already in this Space, or it is over (a last write at the close): noted.
        recording.failed_at = recording.failed_at or timezone.now()
        recording.save(update_fields=["failure_reason", "failed_at"])
        return False
    recording.state = State.FAILED
    recording.failed_at = timezone.now()
    recording.save(update_fields=["state", "failure_reason", "failed_at"])
    space = recording.space
    Space.objects.filter(pk=space.pk).update(recording_failed=True)  # for the snapshot
    notifications_send(
        users=[space.host],
        kind=Notification.Kind.RECORDING_FAILED,
        space=space,
        text=lambda user: (
            _("Recording of “%(title)s” failed: %(reason)s. The Space goes on.")
            % {"title": space.title, "reason": reason}
        ),
    )
    space_event_emit(space, "recording.failed")
    return True


def public_reason(raw: str) -> str:
    """What a person may read of a storage error: its kind, never the server's paths."""
    text = raw.lower()
    if "no space left" in text or "quota" in text or "errno 28" in text:
        return _("the storage is full")
    if "read-only" in text or "permission denied" in text or "access denied" in text:
        return _("the storage cannot be written")
    return _("the storage did not answer")


# The host's actions ------------------------------------------------------------------------


def _host_recording(recording: Recording, actor) -> Recording:
    recording = _lock(recording)
    access_host(recording.space, actor)
    if recording.state == State.DELETED:
        raise RecordingError(_("This recording was deleted."), code="recording_deleted")
    if recording.state == State.RECORDING:
        raise RecordingError(
            _("The Space is still live: the recording is not finished."), code="recording_live"
        )
    return recording


@transaction.atomic
def recording_delete(*, recording: Recording, actor) -> Recording:
    """Delete a recording now (host only): its files go once committed, its row says so."""
    recording = _host_recording(recording, actor)
    _delete(recording)
    return recording


def _delete(recording: Recording) -> None:
    recording.state = State.DELETED
    recording.deleted_at = timezone.now()
    recording.save(update_fields=["state", "deleted_at"])
    signals.recording_deleted.send(sender=Recording, space_id=recording.space_id)
    # Its clips go with it unless the host kept them (their files are their own).
    clips.clips_drop(recording=recording)
    enqueue_on_commit("recordings.tasks.delete_recording_files", recording.pk)


@transaction.atomic
def recording_trim(*, recording: Recording, actor, start: float) -> Recording:
    """Edit the start time (host only): the replay starts `start` seconds in."""
    recording = _host_recording(recording, actor)
    if recording.state != State.READY:
        raise RecordingError(_("This recording cannot be edited."), code="recording_not_ready")
    if not recording.duration:
        # Measured by a task just after the end: until then its length is not known.
        raise RecordingError(
            _("The recording is still being measured: try again in a moment."),
            code="recording_measuring",
        )
    if not 0 <= start < recording.duration:
        raise RecordingError(
            {
                "trim_start": _("Choose a start between 0 and %(max)s seconds.")
                % {"max": int(recording.duration)}
            },
        )
    recording.trim_start = start
    recording.save(update_fields=["trim_start"])
    return recording


def recording_files_delete(*, recording_id: int) -> int:
    """Delete a deleted recording's files (a task, safe to run twice)."""
    recording = Recording.objects.filter(pk=recording_id, state=State.DELETED).first()
    if recording is None:
        return 0
    clips.dropped_clip_files_delete(recording=recording)
    return _files_delete(recording.prefix)


def _files_delete(prefix: str) -> int:
    try:
        return files.prefix_delete(prefix)
    except OSError:
        # The storage is down or read-only: the row already says what happened.
        log.warning("could not delete the files under %s", prefix, exc_info=True)
        return 0


def space_files_delete(*, space_id: int) -> int:
    """Delete an unrecorded Space's HLS files once it is over (a task, safe to run twice)."""
    space = Space.objects.filter(pk=space_id).first()
    if space is None or space.record or not space.is_over:
        return 0
    return _files_delete(storage_prefix(space_id))


# Retention ---------------------------------------------------------------------------------


def recordings_expire(*, batch: int = EXPIRE_BATCH) -> int:
    """Delete the recordings past their expiry, files and state, batch after batch (beat,
    hourly); return how many. Each batch is a transaction that claims its rows with
    skip_locked, so two runs at once, or one run twice, delete each once. Files go before
    the row says deleted: a storage error leaves that recording to the next run."""
    done, after = 0, 0
    while True:
        count, after, expired = _expire_batch(after=after, batch=batch)
        done += expired
        if count < batch:
            return done


@transaction.atomic
def _expire_batch(*, after: int, batch: int) -> tuple[int, int, int]:
    """One batch: (rows looked at, the last id, rows deleted)."""
    due = list(
        Recording.objects.select_for_update(skip_locked=True)
        .filter(pk__gt=after, expires_at__lte=timezone.now())
        .exclude(state=State.DELETED)
        .order_by("pk")[:batch]
    )
    expired = 0
    for recording in due:
        try:
            clips.clips_expire(recording=recording)
            files.prefix_delete(recording.prefix)
        except OSError:
            log.warning("could not delete %s; next run", recording.prefix, exc_info=True)
            continue
        recording.state = State.DELETED
        recording.deleted_at = timezone.now()
        recording.save(update_fields=["state", "deleted_at"])
        signals.recording_deleted.send(sender=Recording, space_id=recording.space_id)
        expired += 1
    return len(due), (due[-1].pk if due else after), expired
