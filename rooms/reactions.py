"""Reaction coalescing: one frame per Space every 250 ms from each server process (DESIGN §3)."""

import asyncio
from collections import Counter, defaultdict

from channels.db import database_sync_to_async

from rooms import services

FLUSH_INTERVAL = 0.25


class ReactionCoalescer:
    """Collects reactions per Space in this process and flushes them on a steady clock."""

    def __init__(self, interval: float = FLUSH_INTERVAL):
        self.interval = interval
        self.counts: dict[int, Counter] = defaultdict(Counter)
        # Who on the stage reacted with what, so that it floats over their avatar.
        self.reactors: dict[int, dict[int, str]] = defaultdict(dict)
        self._task: asyncio.Task | None = None

    def add(self, *, space_id: int, emoji: str, participant_id: int, on_stage: bool) -> None:
        self.counts[space_id][emoji] += 1
        if on_stage:
            self.reactors[space_id][participant_id] = emoji
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        while self.counts:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        counts, self.counts = self.counts, defaultdict(Counter)
        reactors, self.reactors = self.reactors, defaultdict(dict)
        for space_id, emoji_counts in counts.items():
            await database_sync_to_async(services.reactions_flush)(
                space_id=space_id, counts=dict(emoji_counts), reactors=reactors.get(space_id, {})
            )


coalescer = ReactionCoalescer()
