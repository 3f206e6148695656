"""Live audio: the backend that Django asks for media, and commands sent after commit."""

import logging
from functools import cache, partial

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from rooms.media.base import MediaBackend, MediaError, MediaUnavailable

__all__ = ["MediaBackend", "MediaError", "MediaUnavailable", "backend", "command_on_commit"]

logger = logging.getLogger(__name__)

BACKENDS = {"embedded": "rooms.media.embedded.EmbeddedBackend"}


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
