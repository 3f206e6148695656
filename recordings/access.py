"""Permission-checked fetches of recordings and clips, for views, the API and templates.

Every Space is public, so is its replay and so are its clips: anyone may play them,
except a person the host blocked (or who blocked the host) or banned from their Spaces
(rooms.access.shut_out, the one rule). Whatever may not be played is a 404, so that a
deleted, expired or forbidden recording or clip looks exactly like one that never was.
"""

from django.http import Http404

from recordings.models import Clip, Recording
from rooms.access import access_host, shut_out


def access_recording(*, recording_id: int, user) -> Recording:
    """A recording this person may play: ready, not expired, not shut out; else 404."""
    recording = Recording.objects.select_related("space__host").filter(pk=recording_id).first()
    if recording is None or not recording.playable or shut_out(recording.space.host, user):
        raise Http404("No such recording.")
    return recording


def access_space_recording(*, space, user) -> Recording:
    """The recording of this Space for its page or the API, whatever its state, if the
    person may know of it: the host always; others only while it may be played."""
    recording = Recording.objects.select_related("space__host").filter(space=space).first()
    if recording is None:
        raise Http404("No recording.")
    if user is not None and user.is_authenticated and user.pk == space.host_id:
        return recording
    if not recording.playable or shut_out(recording.space.host, user):
        raise Http404("No recording.")
    return recording


def access_host_recording(*, space, user) -> Recording:
    """The recording of a Space if this person hosts it (NotAllowed otherwise, 404 if none)."""
    access_host(space, user)
    recording = Recording.objects.select_related("space__host").filter(space=space).first()
    if recording is None:
        raise Http404("No recording.")
    return recording


def _clip(code: str) -> Clip | None:
    return (
        Clip.objects.select_related("recording__space__host", "creator").filter(code=code).first()
    )


def access_clip(*, code: str, user) -> Clip:
    """A clip this person may play: ready, kept or from a live or kept recording, not
    shut out; else 404."""
    clip = _clip(code)
    if clip is None or not clip.playable or shut_out(clip.recording.space.host, user):
        raise Http404("No such clip.")
    return clip


def access_managed_clip(*, code: str, user) -> Clip:
    """A clip to keep or delete: its host's and its creator's while not deleted, even once
    it no longer plays or the host blocked its creator (who may still take it down);
    anyone else's as access_clip says (the service then refuses them)."""
    clip = _clip(code)
    if (
        clip is not None
        and clip.state == Clip.State.READY
        and user is not None
        and user.is_authenticated
        and user.pk in (clip.creator_id, clip.recording.space.host_id)
    ):
        return clip
    return access_clip(code=code, user=user)
