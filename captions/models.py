from django.conf import settings
from django.db import models

from rooms.models import Space


class CaptionSegment(models.Model):
    """One final caption: what one speaker said between two moments of a Space, as the
    recognition worker heard it from that speaker's own audio (docs/captions.md)."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="caption_segments")
    # The speaker's seat in the Space (rooms.Participant); the person and the name they
    # had on stage are copied so that the transcript keeps them after the seat is gone.
    participant = models.ForeignKey(
        "rooms.Participant", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    speaker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    speaker_name = models.CharField(max_length=100)
    language = models.CharField(max_length=8)
    text = models.TextField()
    # Wall-clock moments of the first and last sample (server time, the egress's
    # PROGRAM-DATE-TIME clock): recordings.offsets maps them onto a recording.
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["space", "started_at"])]

    def __str__(self):
        return f"{self.speaker_name}: {self.text[:40]}"
