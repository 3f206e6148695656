"""What captions do about other apps' signals, so that none of them needs to know about
captions."""

from django.dispatch import receiver

from captions.services import transcript_delete
from recordings.signals import recording_deleted


@receiver(recording_deleted, dispatch_uid="captions.recording_deleted")
def recording_deleted_forget_transcript(sender, space_id: int, **kwargs) -> None:
    """A recording was deleted (by its host, or expired): the Space's transcript goes with
    it, in the same transaction (docs/captions.md, "Transcripts, replay and clips")."""
    transcript_delete(space_id=space_id)
