"""Recording jobs: ids in, fetch, call a service; each safe to run twice."""

from celery import shared_task

from recordings import services


@shared_task(acks_late=True)
def measure_recording(recording_id: int, duration: float | None = None) -> None:
    """Read a finished recording's duration and size from storage."""
    services.recording_measure(recording_id=recording_id, duration=duration)


@shared_task(acks_late=True)
def delete_recording_files(recording_id: int) -> None:
    """Delete a deleted recording's files."""
    services.recording_files_delete(recording_id=recording_id)


@shared_task(acks_late=True)
def delete_space_files(space_id: int) -> None:
    """Delete an unrecorded Space's HLS files once it ended."""
    services.space_files_delete(space_id=space_id)


@shared_task(acks_late=True)
def expire_recordings() -> int:
    """Delete the recordings past their retention (beat, hourly)."""
    return services.recordings_expire()


@shared_task(acks_late=True)
def delete_clip_files(clip_ids: list[int]) -> None:
    """Delete deleted clips' files."""
    services.clip_files_delete(clip_ids=clip_ids)


@shared_task(acks_late=True)
def measure_waveform(recording_id: int) -> None:
    """Decode a done recording once into the peaks its replay draws."""
    services.recording_waveform(recording_id=recording_id)
