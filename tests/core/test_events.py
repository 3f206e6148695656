"""Sending events never holds the caller: the pipe is lossy, the request is not."""

import asyncio
import time

from core import events


class StuckLayer:
    """A channel layer whose client swallows the first cancellation and keeps reading, as a
    client caught mid-read on a hung server may."""

    def __init__(self):
        self.cancelled = 0

    async def group_send(self, group, event):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled += 1
        await asyncio.sleep(30)  # until cancelled again, by whoever owns the loop


def test_a_send_stuck_past_its_timeout_returns_and_is_logged(settings, monkeypatch, caplog):
    layer = StuckLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    settings.REDIS_TIMEOUT = 0.1

    started = time.monotonic()
    events.group_send("space-1", {"type": "space.event"})
    many_started = time.monotonic()
    events.group_send_many([("space-1", {"type": "space.event"}), ("space-2", {"type": "x"})])

    # asyncio.wait_for would wait out the 30 s the client takes after its cancellation.
    assert many_started - started < 10
    assert time.monotonic() - many_started < 10
    assert layer.cancelled == 3
    assert [r.getMessage() for r in caplog.records] == [
        "Could not send space.event to space-1 (TimeoutError)",
        "Could not send 2 events to their groups (TimeoutError)",
    ]
