"""Events after commit never hold up, nor fail, the request whose write committed."""

import asyncio
import logging
import time

from channels.layers import get_channel_layer

from core import events


def test_a_hung_channel_layer_costs_a_committed_write_seconds_and_one_log_line(
    db, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    async def hang(group, event):
        await asyncio.sleep(60)

    monkeypatch.setattr(get_channel_layer(), "group_send", hang)
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="core.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        events.broadcast_on_commit("space-1", {"type": "space.event"})
    elapsed = time.monotonic() - started

    assert elapsed < 5
    assert [r.getMessage() for r in caplog.records] == [
        "Could not send space.event to space-1 (TimeoutError)"
    ]
    assert caplog.records[0].exc_info is None


def test_many_events_to_a_down_channel_layer_log_one_line(db, monkeypatch, caplog):
    async def refuse(group, event):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(get_channel_layer(), "group_send", refuse)
    with caplog.at_level(logging.WARNING, logger="core.events"):
        events.group_send_many([(f"user-{n}", {"type": "livebar.changed"}) for n in range(3)])

    assert [r.getMessage() for r in caplog.records] == [
        "Could not send livebar.changed to user-0 and 2 more (ConnectionError: Error 111 "
        "connecting to 127.0.0.1:6390. Connection refused.)"
    ]
