"""What Django asks of a media server, whichever one runs (DESIGN §4), and the backend
that Django asks.

Django alone talks to the media server; the browser only ever gets an SDP answer
and ICE servers. Django checks roles before it asks for anything: a backend trusts
the `publish` and `muted` it is given, and enforces them.
"""

import logging
from functools import cache, partial

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

BACKENDS = {"embedded": "mediaserver.embedded.backend.EmbeddedBackend"}


class MediaError(Exception):
    """A request the media server refused, with a code for the browser."""

    def __init__(self, message: str, code: str = "media_error", reason: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        # Why, when the code has several causes (`listeners_full`: "cap" or "saturated").
        self.reason = reason


class ListenersFull(MediaError):
    """No more WebRTC listeners here (the Space's cap, or a saturated media server): the
    page listens over HLS instead. Speakers are never refused for it."""

    def __init__(self, reason: str):
        super().__init__("This Space is full for live audio.", "listeners_full", reason)


class MediaUnavailable(MediaError):
    """No media server answered in time: the room goes on, the browser retries."""

    def __init__(self, message: str = "Live audio is unavailable right now."):
        super().__init__(message, "media_unavailable")


class MediaBackend:
    """The interface: rooms, offers, mutes and removals. Speaking events come back as
    `media.speaking` events on the Space's group (see docs/media.md)."""

    async def open_room(self, *, space_id: int) -> None:
        """Make the Space's room ready (the embedded server opens rooms on first offer)."""

    async def close_room(self, *, space_id: int) -> None:
        """The Space ended: hang up on everyone in its room."""
        raise NotImplementedError

    async def speaker_offer(
        self, *, space_id: int, participant_id: int, session: str, sdp: str, muted: bool
    ) -> str:
        """A speaker's offer (microphone out, mix-minus-self in) → the SDP answer."""
        raise NotImplementedError

    async def listener_offer(
        self, *, space_id: int, participant_id: int, session: str, sdp: str
    ) -> str:
        """A listener's receive-only offer → the SDP answer; the room mix flows to it."""
        raise NotImplementedError

    async def session_close(self, *, space_id: int, session: str) -> None:
        """Hang up one browser connection."""
        raise NotImplementedError

    async def mute(self, *, space_id: int, participant_id: int, muted: bool) -> None:
        """Drop a speaker's audio at the server, or let it through again."""
        raise NotImplementedError

    async def remove(
        self, *, space_id: int, participant_id: int, publishing_only: bool = False
    ) -> None:
        """Cut a participant's media at once (only the microphone when they step down)."""
        raise NotImplementedError


@cache
def backend() -> MediaBackend:
    """The configured media backend (`MEDIA_BACKEND`: "embedded" or a dotted path)."""
    name = settings.MEDIA_BACKEND
    return import_string(BACKENDS.get(name, name))()


def _command(method: str, kwargs: dict) -> None:
    try:
        async_to_sync(getattr(backend(), method))(**kwargs)
    except Exception:
        # The database is the truth; a media server that missed this catches up when the
        # browser offers again, and Django checks the role on every offer.
        logger.exception("Media command %s failed", method)


def command_on_commit(method: str, **kwargs) -> None:
    """Tell the media server about a change (mute, removal, end) once it is committed."""
    transaction.on_commit(partial(_command, method, kwargs))
