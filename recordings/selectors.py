"""Reads for recordings."""

from django.http import Http404

from recordings.access import access_space_recording
from recordings.models import Recording
from rooms.models import Space


def recording_id_for(*, space_id: int) -> int | None:
    """The id of a Space's recording still kept, if any."""
    return (
        Recording.objects.filter(space_id=space_id)
        .exclude(state=Recording.State.DELETED)
        .values_list("pk", flat=True)
        .first()
    )


def recording_deleted(*, space_id: int) -> int | None:
    """The id of a Space's recording that the host deleted, if so."""
    return (
        Recording.objects.filter(space_id=space_id, state=Recording.State.DELETED)
        .values_list("pk", flat=True)
        .first()
    )


def space_recorded(*, space_id: int) -> bool:
    """Whether the Space was to be recorded (its host chose so before starting)."""
    return Space.objects.filter(pk=space_id, record=True).exists()


def recording_panel(*, space, user) -> dict | None:
    """What an ended Space's page shows of its recording: everything to its host (state,
    actions), a playable replay to anyone else who may play it; None for nothing."""
    try:
        recording = access_space_recording(space=space, user=user)
    except Http404:
        return None
    is_host = user is not None and user.is_authenticated and user.pk == space.host_id
    return {"recording": recording, "is_host": is_host, "space": space}
