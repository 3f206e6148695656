"""/healthz sends a message through the channel layer, the path every socket uses."""

import asyncio

from channels.layers import get_channel_layer

from core.health import check_channel_layer, run_checks


def test_the_channel_layer_check_round_trips_a_message():
    check_channel_layer()  # raises when the message does not come back


def test_a_layer_that_loses_messages_is_reported_within_seconds(monkeypatch):
    async def lose(channel, message):
        return None

    monkeypatch.setattr(get_channel_layer(), "send", lose)

    assert run_checks()["channel_layer"] == "down: TimeoutError: "


def test_a_layer_that_cannot_reach_redis_is_reported(monkeypatch):
    async def refuse(channel, message):
        await asyncio.sleep(0)
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(get_channel_layer(), "send", refuse)

    assert run_checks()["channel_layer"] == (
        "down: ConnectionError: Error 111 connecting to 127.0.0.1:6390. Connection refused."
    )
