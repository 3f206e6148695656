"""The live HLS stream of a Space (docs/media.md, "Listening over HLS"): the egress's
`live.m3u8` window and its segments, for anyone who may listen, while the Space is live."""

import re

from django.http import Http404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from accounts.selectors import is_blocked_between
from recordings import files
from recordings.models import storage_prefix
from recordings.serving import stored_file_response
from rooms.models import Space, SpaceBan
from rooms.selectors import removed_from, space_get

# Only what a live listener needs from the Space's prefix (never index.m3u8: the whole
# recording is the replay's, served with its own access rules).
LIVE_NAME = re.compile(r"live\.m3u8|init\.mp4|seg-\d{6,9}\.m4s")  # fullmatch only
LIVE_PLAYLIST = "live.m3u8"
# The playlist moves every segment (2 s): a player must always ask again. Segments and
# the init segment never change once written.
PLAYLIST_CACHE = {"private": True, "no_cache": True, "max_age": 0}
SEGMENT_CACHE = {"private": True, "max_age": 3600}


def access_live_stream(request, space: Space) -> Space:
    """The Space if it is live and this browser may listen to it (same rules as joining:
    not banned by the host, no block either way, not removed from it); else 404."""
    if not space.is_live:
        raise Http404("This Space is not live.")
    user = request.user
    if user.is_authenticated:
        if (
            SpaceBan.objects.filter(host_id=space.host_id, user=user).exists()
            or is_blocked_between(user, space.host)
            or removed_from(space, user=user)
        ):
            raise Http404("No such stream.")
    elif removed_from(space, anon_id=request.session.get("anon_id", "")):
        # Read, never made: a segment request must not create a session for a browser
        # (or a client without cookies) that has none.
        raise Http404("No such stream.")
    return space


@require_safe
def live_file(request, code, name):
    """One file of a live Space's HLS stream (playlist, init segment, media segment),
    with range requests; through nginx (X-Accel-Redirect) when configured."""
    if not LIVE_NAME.fullmatch(name):
        raise Http404("No such file.")
    space = access_live_stream(request, space_get(code))
    response = stored_file_response(request, storage_prefix(space.pk) + name)
    patch_cache_control(response, **(PLAYLIST_CACHE if name == LIVE_PLAYLIST else SEGMENT_CACHE))
    response["Content-Type"] = files.content_type(name)
    patch_vary_headers(response, ["Cookie"])
    return response
