"""One socket's offers and answers: the room's consumer authorises each offer and turns
the outcome into a frame; this asks the media server, one session at a time."""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from django.utils.translation import gettext as _

from mediaserver.base import MediaError, MediaUnavailable, backend

logger = logging.getLogger(__name__)


class Signalling:
    """A socket's session at the media server and the offer waiting for its answer."""

    def __init__(self, *, space_id: int):
        self.space_id = space_id
        self.session: str | None = None
        self.task: asyncio.Task | None = None
        self.publishing = False

    def offer(
        self,
        *,
        participant_id: int,
        sdp: str,
        publish: bool,
        muted: bool,
        answered: Callable[[str], Awaitable[None]],
        failed: Callable[[MediaError], Awaitable[None]],
        confirm: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Ask the media server for an answer without holding up the socket's other frames;
        a newer offer replaces one still waiting. `confirm` runs once a speaker's answer is
        in (it may raise a MediaError); then `answered` or `failed` is awaited."""
        if self.task is not None:
            self.task.cancel()
        self.task = asyncio.create_task(
            self._negotiate(participant_id, sdp, publish, muted, answered, failed, confirm)
        )

    async def _negotiate(self, participant_id, sdp, publish, muted, answered, failed, confirm):
        media = backend()
        previous, self.session = self.session, uuid.uuid4().hex
        self.publishing = publish
        ids = {
            "space_id": self.space_id,
            "participant_id": participant_id,
            "session": self.session,
            "sdp": sdp,
        }
        try:
            if previous:
                await media.session_close(space_id=self.space_id, session=previous)
            if publish:
                answer = await media.speaker_offer(**ids, muted=muted)
            else:
                answer = await media.listener_offer(**ids)
            if confirm is not None:
                await confirm()
        except MediaUnavailable:
            await failed(_unavailable())
        except MediaError as exc:
            await failed(exc)
        except Exception:
            logger.exception("Media negotiation failed in Space %s", self.space_id)
            await failed(_unavailable())
        else:
            await answered(answer)

    async def hang_up(self) -> None:
        """Close this socket's session at the media server, and forget any offer waiting."""
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        self.task = None
        self.publishing = False
        if self.session is not None:
            session, self.session = self.session, None
            try:
                await backend().session_close(space_id=self.space_id, session=session)
            except Exception:
                logger.exception("Could not hang up media session %s", session)


def _unavailable() -> MediaUnavailable:
    """What the page hears while no media server answers: it retries on its own."""
    return MediaUnavailable(_("Live audio is unavailable right now. Trying again…"))
