"""`capture_events`: the exact list of real-time events a service sends, as zulip pins them.

    def test_it(capture_events):
        with capture_events() as events:
            services.hand_raise(participant=seat)
        assert events == [(space.group_name, {...}), ...]

Inside the block the on-commit callbacks run (as with
`django_capture_on_commit_callbacks(execute=True)`), and every event that goes through
core.events (`group_send`, `group_send_many`, and the `broadcast_*_on_commit` helpers
that call them) is recorded as a (group, event) pair, in order, instead of reaching
Redis. The channel layer itself is replaced, not the helpers: a module that imported
`group_send` by name (`from core.events import group_send`) is recorded too.
"""

import threading
from contextlib import contextmanager

import pytest

import core.events


class RecordingLayer:
    """A channel layer that keeps what is sent to groups, and sends nothing. A room event's
    `at` (when it happened, rooms.events.stamp) is kept aside in `stamps`, so that exact
    comparisons of events stay about what they say."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []
        self.stamps: list[float] = []
        self._lock = threading.Lock()  # tests with threads (races) send from several

    async def group_send(self, group: str, message: dict) -> None:
        if message.get("type") == "space.event" and "at" in message:
            message = dict(message)
            at = message.pop("at")
            assert isinstance(at, float), at
            self.stamps.append(at)
        with self._lock:
            self.sent.append((group, message))


def record_events(patch) -> list[tuple[str, dict]]:
    """Put core.events on a recording channel layer (`patch`: a pytest MonkeyPatch, or one
    of its contexts); return the list that it fills, for tests that run callbacks their own
    way (beat runs under time_machine, threads racing on a real commit)."""
    layer = RecordingLayer()
    patch.setattr(core.events, "get_channel_layer", lambda *args: layer)
    return layer.sent


@pytest.fixture
def capture_events(monkeypatch, django_capture_on_commit_callbacks):
    """A context manager that yields the list of (group, event) pairs sent inside it."""

    @contextmanager
    def capture():
        with monkeypatch.context() as patch:
            sent = record_events(patch)
            with django_capture_on_commit_callbacks(execute=True):
                yield sent

    return capture


@pytest.fixture
def events(monkeypatch):
    """Every real-time event sent after commit, as (group, event) pairs; for tests that
    collect across several blocks (`capture_events` is the one-block form)."""
    return record_events(monkeypatch)
