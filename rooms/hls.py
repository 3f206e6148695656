"""The live HLS stream of a Space (docs/media.md, "Listening over HLS"): the egress's
`live.m3u8` window and its segments, for anyone who may listen, while the Space is live
and for LIVE_HLS_GRACE_SECONDS after it ended (its HLS listeners are seconds behind)."""

import re
from datetime import timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from mediaserver.egress.hls import prefix as storage_prefix
from mediaserver.egress.serving import content_type, stored_file_response
from rooms.access import may_listen
from rooms.models import Space
from rooms.selectors import space_get

# Only what a live listener needs from the Space's prefix (never index.m3u8: the whole
# recording is the replay's, served with its own access rules).
LIVE_NAME = re.compile(r"live\.m3u8|init\.mp4|seg-\d{6,9}\.m4s")  # fullmatch only
LIVE_PLAYLIST = "live.m3u8"
# The playlist moves every segment (2 s): a player must always ask again. Segments and
# the init segment never change once written.
PLAYLIST_CACHE = {"private": True, "no_cache": True, "max_age": 0}
SEGMENT_CACHE = {"private": True, "max_age": 3600}


def streaming(space: Space) -> bool:
    """Live, or ended so recently that an HLS listener may still be playing its last
    segments (the egress's ENDLIST is in the playlist by then)."""
    if space.is_live:
        return True
    if space.state != Space.State.ENDED or space.ended_at is None:
        return False
    grace = timedelta(seconds=settings.LIVE_HLS_GRACE_SECONDS)
    return timezone.now() < space.ended_at + grace


def access_live_stream(request, space: Space) -> Space:
    """The Space if it is streaming and this browser may listen to it (same rules as
    joining: not banned by the host, no block either way, not removed from it); else 404."""
    if not streaming(space):
        raise Http404("This Space is not live.")
    # The anonymous identity is read, never made: a segment request must not create a
    # session for a browser (or a client without cookies) that has none.
    if not may_listen(space, user=request.user, anon_id=request.session.get("anon_id", "")):
        raise Http404("No such stream.")
    return space


@require_safe
def live_file(request, code, name):
    """One file of a live Space's HLS stream (playlist, init segment, media segment),
    with range requests; segments through nginx (X-Accel-Redirect) when configured, the
    playlist always read whole here (the egress replaces it every segment)."""
    if not LIVE_NAME.fullmatch(name):
        raise Http404("No such file.")
    space = access_live_stream(request, space_get(code))
    playlist = name == LIVE_PLAYLIST
    response = stored_file_response(request, storage_prefix(space.pk) + name, replaced=playlist)
    patch_cache_control(response, **(PLAYLIST_CACHE if playlist else SEGMENT_CACHE))
    response["Content-Type"] = content_type(name)
    patch_vary_headers(response, ["Cookie"])
    return response
