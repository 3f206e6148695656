"""Coalescing per server process: reactions and audience counts go out at most once per
Space every 250 ms (DESIGN §3), however many people react or join in between."""

import asyncio
import logging
from collections import Counter, defaultdict

from channels.db import database_sync_to_async

from rooms import services

FLUSH_INTERVAL = 0.25
logger = logging.getLogger(__name__)


class RoomCoalescer:
    """Collects reactions and audience changes per Space; flushes them on a steady clock."""

    def __init__(self, interval: float = FLUSH_INTERVAL):
        self.interval = interval
        self.counts: dict[int, Counter] = defaultdict(Counter)
        # Who on the stage reacted with what, so that it floats over their avatar.
        self.reactors: dict[int, dict[int, str]] = defaultdict(dict)
        self.audience: set[int] = set()
        self._task: asyncio.Task | None = None

    def audience_changed(self, space_id: int) -> None:
        self.audience.add(space_id)
        self._wake()

    def add(self, *, space_id: int, emoji: str, participant_id: int, on_stage: bool) -> None:
        self.counts[space_id][emoji] += 1
        if on_stage:
            self.reactors[space_id][participant_id] = emoji
        self._wake()

    def _wake(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        # A steady clock: the next flush is due one interval after the last one was due,
        # however long the flush itself took.
        loop = asyncio.get_running_loop()
        due = loop.time() + self.interval
        while self.counts or self.audience:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due += self.interval
            await self.flush()

    async def flush(self) -> None:
        counts, self.counts = self.counts, defaultdict(Counter)
        reactors, self.reactors = self.reactors, defaultdict(dict)
        audience, self.audience = self.audience, set()
        for space_id, emoji_counts in counts.items():
            await self._safely(
                services.reactions_flush,
                space_id=space_id,
                counts=dict(emoji_counts),
                reactors=reactors.get(space_id, {}),
            )
        for space_id in audience:
            await self._safely(services.counts_announce, space_id=space_id)

    async def _safely(self, service, **kwargs) -> None:
        # One Space's failure (deleted meanwhile, database hiccup) must not stop the others.
        try:
            await database_sync_to_async(service)(**kwargs)
        except Exception:
            logger.exception("Could not flush %s for Space %s", service.__name__, kwargs)


coalescer = RoomCoalescer()
