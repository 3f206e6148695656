"""Permission-checked fetches of recordings, for views, the API and templates alike.

Every Space is public, so is its replay: anyone may play a ready recording, except a
person the host blocked (or who blocked the host) or banned from their Spaces. Whatever
may not be played is a 404, so that a deleted, expired or forbidden recording looks
exactly like one that never was.
"""

from django.http import Http404

from accounts.selectors import is_blocked_between
from recordings.models import Recording
from rooms.access import access_host
from rooms.models import SpaceBan


def _shut_out(recording: Recording, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    host = recording.space.host
    return (
        is_blocked_between(user, host)
        or SpaceBan.objects.filter(host_id=host.pk, user=user).exists()
    )


def access_recording(*, recording_id: int, user) -> Recording:
    """A recording this person may play: ready, not expired, not shut out; else 404."""
    recording = Recording.objects.select_related("space__host").filter(pk=recording_id).first()
    if recording is None or not recording.playable or _shut_out(recording, user):
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
    if not recording.playable or _shut_out(recording, user):
        raise Http404("No recording.")
    return recording


def access_host_recording(*, space, user) -> Recording:
    """The recording of a Space if this person hosts it (NotAllowed otherwise, 404 if none)."""
    access_host(space, user)
    recording = Recording.objects.select_related("space__host").filter(space=space).first()
    if recording is None:
        raise Http404("No recording.")
    return recording
