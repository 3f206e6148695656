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
    """A channel layer that keeps what is sent to groups, and sends nothing."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []
        self._lock = threading.Lock()  # tests with threads (races) send from several

    async def group_send(self, group: str, message: dict) -> None:
        with self._lock:
            self.sent.append((group, message))


@pytest.fixture
def capture_events(monkeypatch, django_capture_on_commit_callbacks):
    """A context manager that yields the list of (group, event) pairs sent inside it."""

    @contextmanager
    def capture():
        layer = RecordingLayer()
        with monkeypatch.context() as patch:
            patch.setattr(core.events, "get_channel_layer", lambda *args: layer)
            with django_capture_on_commit_callbacks(execute=True):
                yield layer.sent

    return capture
