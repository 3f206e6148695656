"""Permission-checked fetches of clips, for the clip page, its files, the API and cards.

A clip is as public as its Space's replay: anyone may play it except someone the host
blocked (or who blocked the host) or banned from their Spaces. A clip that may not be
played is a 404, like one that never was.
"""

from django.http import Http404

from accounts.selectors import is_blocked_between
from recordings.models import Clip
from rooms.models import SpaceBan


def shut_out(host, user) -> bool:
    """Whether this person is kept away from the host's Spaces (blocks either way, ban)."""
    if user is None or not user.is_authenticated:
        return False
    return (
        is_blocked_between(user, host)
        or SpaceBan.objects.filter(host_id=host.pk, user=user).exists()
    )


def access_clip(*, code: str, user) -> Clip:
    """A clip this person may play: ready, kept or from a live recording, not shut out."""
    clip = (
        Clip.objects.select_related("recording__space__host", "creator").filter(code=code).first()
    )
    if clip is None or not clip.playable or shut_out(clip.recording.space.host, user):
        raise Http404("No such clip.")
    return clip
