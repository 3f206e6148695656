"""What recordings do about rooms' and the media server's signals, so that neither needs
to know about recordings. Nothing here may stop a Space: the media server's signals are
sent from its event loop, and a receiver that raised would reach it."""

import logging

from asgiref.sync import sync_to_async
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from core.tasks import enqueue
from mediaserver import signals as media_signals
from recordings import selectors, services
from rooms.signals import pins_changed, reactions_sent, space_ended, space_started

log = logging.getLogger(__name__)


@receiver(space_started, dispatch_uid="recordings.space_started")
def on_space_started(sender, *, space, **kwargs) -> None:
    """A recorded Space went live: its recording begins, with the tweets pinned then."""
    recording = services.recording_start(space=space)
    services.replay_live_remember(
        space_id=space.pk, recording_id=recording.pk if recording is not None else None
    )
    if recording is not None:
        services.replay_pins_note(space=space)


@receiver(space_ended, dispatch_uid="recordings.space_ended")
def on_space_ended(sender, *, space, **kwargs) -> None:
    """A Space ended: keep its recording, or delete the HLS files nobody recorded."""
    services.space_files_settle(space=space)
    if space.record and (recording := getattr(space, "recording", None)) is not None:
        services.replay_turns_close(recording=recording, at=space.ended_at or timezone.now())


@receiver(media_signals.egress_failed, dispatch_uid="recordings.egress_failed")
async def on_egress_failed(sender, *, space_id: int, reason: str, **kwargs) -> None:
    """The egress could not write: tell the host once; the Space goes on."""
    try:
        await sync_to_async(services.recording_fail)(space_id=space_id, reason=reason)
    except Exception:
        log.exception("recording of Space %s: could not note the failure", space_id)


@receiver(media_signals.egress_closed, dispatch_uid="recordings.egress_closed")
async def on_egress_closed(
    sender, *, space_id: int, segments: int, duration: float, **kwargs
) -> None:
    """The egress wrote ENDLIST: measure the finished recording again, with its duration."""
    try:
        await sync_to_async(_measure_closed)(space_id, duration)
    except Exception:
        log.exception("recording of Space %s: could not measure it", space_id)


def _measure_closed(space_id: int, duration: float) -> None:
    recording_id = selectors.recording_id_for(space_id=space_id)
    if recording_id is not None:
        enqueue("recordings.tasks.measure_recording", recording_id, duration)
    elif deleted := selectors.recording_deleted(space_id=space_id):
        # Deleted by the host before the stream closed: its last segments go as well.
        enqueue("recordings.tasks.delete_recording_files", deleted)
    elif not selectors.space_recorded(space_id=space_id):
        # The last segments were written after the end's deletion: delete them too.
        enqueue("recordings.tasks.delete_space_files", space_id)


# Replay: what the replay shows beside the audio, noted while the Space is live ------------


@receiver(media_signals.speaking, dispatch_uid="recordings.speaking")
async def on_speaking(sender, *, space_id: int, speaking: list[int], **kwargs) -> None:
    """Who speaks in a recorded Space, as turns: nothing is written while it stays so."""
    at = timezone.now()
    try:
        if services.replay_speaking_unchanged(space_id=space_id, speaking=speaking):
            return
        await sync_to_async(services.replay_speaking_note)(
            space_id=space_id, speaking=speaking, at=at
        )
    except Exception:
        log.exception("replay of Space %s: could not note who speaks", space_id)


@receiver(reactions_sent, dispatch_uid="recordings.reactions_sent")
def on_reactions_sent(sender, *, space_id: int, counts, reactors, at: float, **kwargs) -> None:
    """A batch of reactions in a recorded Space: its replay floats them again."""
    try:
        services.replay_reactions_note(space_id=space_id, counts=counts, reactors=reactors, at=at)
    except Exception:
        log.exception("replay of Space %s: could not note reactions", space_id)


@receiver(pins_changed, dispatch_uid="recordings.pins_changed")
def on_pins_changed(sender, *, space, pins, **kwargs) -> None:
    """The pinned tweets changed: a recorded Space's replay shows them as they were. Inside
    the pin's transaction: a failure here is rolled back alone, the pin stays."""
    try:
        with transaction.atomic():
            services.replay_pins_note(space=space, pins=pins)
    except Exception:
        log.exception("replay of Space %s: could not note the pins", space.pk)
