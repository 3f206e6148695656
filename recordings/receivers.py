"""What recordings do about rooms' and the media server's signals, so that neither needs
to know about recordings. Nothing here may stop a Space: the media server's signals are
sent from its event loop, and a receiver that raised would reach it."""

import logging

from asgiref.sync import sync_to_async
from django.dispatch import receiver

from core.tasks import enqueue
from mediaserver import signals as media_signals
from recordings import selectors, services
from rooms.signals import space_ended, space_started

log = logging.getLogger(__name__)


@receiver(space_started, dispatch_uid="recordings.space_started")
def on_space_started(sender, *, space, **kwargs) -> None:
    """A recorded Space went live: its recording begins."""
    services.recording_start(space=space)


@receiver(space_ended, dispatch_uid="recordings.space_ended")
def on_space_ended(sender, *, space, **kwargs) -> None:
    """A Space ended: keep its recording, or delete the HLS files nobody recorded."""
    services.space_files_settle(space=space)


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
