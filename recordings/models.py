import re
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.models import Space

# The files of a recording (docs/recordings.md): nothing else is ever served from its prefix.
FILE_NAME = re.compile(r"index\.m3u8|init\.mp4|seg-\d{6,9}\.m4s")  # fullmatch only


def storage_prefix(space_id: int) -> str:
    """Where the egress writes a Space's HLS files (the issue 11 contract)."""
    return f"hls/{space_id}/"


class Recording(models.Model):
    """The recording of one recorded Space: the HLS files the egress wrote, kept for a while."""

    class State(models.TextChoices):
        RECORDING = "recording", _("Recording")
        READY = "ready", _("Ready")
        # Failed for now: the egress could not write (storage full, unwritable); the files
        # written so far are kept and the egress retries, so a later segment may land.
        FAILED = "failed", _("Failed")
        DELETED = "deleted", _("Deleted")

    space = models.OneToOneField(Space, on_delete=models.CASCADE, related_name="recording")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECORDING)
    prefix = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # "Edit start time": seconds cut from the start; the files stay whole, the playlist
    # served skips them.
    trim_start = models.FloatField(default=0)
    duration = models.FloatField(default=0)  # seconds, as the playlist says
    size = models.PositiveBigIntegerField(default=0)  # bytes in storage
    expires_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Replay: peaks of the audio (0 to 1, evenly spaced over `duration`), measured once
    # the recording is done; and how many times its replay was played (once per page view).
    waveform = models.JSONField(default=list, blank=True)
    plays = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self):
        return f"recording of {self.space_id} ({self.state})"

    def end(self, at) -> None:
        """The Space ended: the recording is done and kept for RECORDING_RETENTION_DAYS.
        One that failed for now is ready too (the egress retried: what it wrote plays,
        with a gap, and the failure stays noted) unless measuring finds nothing at all."""
        self.ended_at = at
        self.expires_at = at + timedelta(days=settings.RECORDING_RETENTION_DAYS)
        if self.state in (self.State.RECORDING, self.State.FAILED):
            self.state = self.State.READY

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def playable(self) -> bool:
        """Whether its files may be served: done, kept, not expired."""
        return self.state == self.State.READY and not self.is_expired

    def unplayable_reason(self) -> tuple[str, str] | None:
        """Why it cannot be played, as (message, code), or None when it can: the same
        words on its page, in the API and when a clip of it is refused."""
        if self.state == self.State.DELETED:
            return _("The recording was deleted."), "recording_deleted"
        if self.is_expired:
            return _("The recording has expired."), "recording_expired"
        if self.state == self.State.RECORDING:
            return _("The Space is still live."), "recording_live"
        if self.state == self.State.FAILED:
            return _("The recording failed."), "recording_failed"
        return None

    @property
    def played_duration(self) -> float:
        """What a listener hears: the duration without the trimmed start."""
        return max(0.0, self.duration - self.trim_start)


# Clips (issue 11) ---------------------------------------------------------------------------

CLIP_MAX_SECONDS = 30


def new_clip_code() -> str:
    """A clip's public id in `/c/<code>/`: random and URL-safe, like a Space's code."""
    return "".join(secrets.choice(CLIP_CODE_ALPHABET) for _ in range(10))


CLIP_CODE_ALPHABET = string.ascii_letters + string.digits


class Clip(models.Model):
    """Up to 30 seconds of a recording, cut into a file of its own (`clips/<code>.mp4`).
    It expires with its recording unless the host keeps it."""

    class State(models.TextChoices):
        READY = "ready", _("Ready")
        # Deleted (by its host or creator, or with its recording): the row stays so
        # that a link to it says it is gone; its file is deleted.
        DELETED = "deleted", _("Deleted")

    code = models.CharField(max_length=12, unique=True, default=new_clip_code, editable=False)
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="clips")
    # Signed-in people only cut clips; one who leaves the site leaves their clips behind.
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="clips"
    )
    start = models.FloatField()  # seconds on the recording's own timeline
    duration = models.FloatField()  # seconds, at most CLIP_MAX_SECONDS
    title = models.CharField(max_length=100, blank=True)
    live = models.BooleanField(default=False)  # cut from a live Space, not from its replay
    kept = models.BooleanField(default=False)  # by the host: outlives the recording
    state = models.CharField(max_length=10, choices=State.choices, default=State.READY)
    path = models.CharField(max_length=200)  # in the egress's storage
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recording", "state"])]

    def __str__(self):
        return f"clip {self.code} ({self.state})"

    def get_absolute_url(self):
        return reverse("recordings:clip", kwargs={"code": self.code})

    @property
    def playable(self) -> bool:
        """Ready, and kept by the host or from a recording neither deleted nor expired
        (live or ready: a live clip plays while its Space is on)."""
        if self.state != self.State.READY:
            return False
        recording = self.recording
        return self.kept or (
            recording.state != Recording.State.DELETED and not recording.is_expired
        )


# Replay (issue 11, item 4): what a replay shows beside the audio, stored while the Space
# is live, each with its wall-clock time; offsets into the recording are computed when
# read, from the playlist's EXT-X-PROGRAM-DATE-TIME (recordings.services.replay).


class SpeakingTurn(models.Model):
    """One person speaking without a pause the media server noticed, from start to end
    (open while they still speak, or when the room stopped before saying so)."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="turns")
    participant = models.ForeignKey(
        "rooms.Participant", on_delete=models.CASCADE, related_name="speaking_turns"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recording", "started_at"])]

    def __str__(self):
        return f"turn of {self.participant_id} in {self.recording_id}"


class ReplayEvent(models.Model):
    """A batch of reactions, or the pinned tweets as they became, at a moment of the Space."""

    class Kind(models.TextChoices):
        REACTIONS = "reactions", _("Reactions")
        PINS = "pins", _("Pinned tweets")

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    # reactions: {"counts": {emoji: n}, "reactors": {participant id: emoji}};
    # pins: {"tweet_ids": [the pinned tweets' ids, in pin order]}, resolved for each viewer
    # when read (recordings.selectors.replay_data).
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["recording", "at"])]

    def __str__(self):
        return f"{self.kind} in {self.recording_id} at {self.at}"
