"""A media backend that records what Django asks of it, for tests without WebRTC."""

from mediaserver.base import MediaBackend, MediaError, MediaUnavailable


class FakeMediaBackend(MediaBackend):
    instance = None

    def __init__(self):
        FakeMediaBackend.instance = self
        self.calls: list[tuple] = []
        self.down = False
        self.refuse: MediaError | None = None

    def commands(self, name: str) -> list[dict]:
        return [kwargs for call, kwargs in self.calls if call == name]

    async def _record(self, name, **kwargs):
        self.calls.append((name, kwargs))
        if name.endswith("_offer"):
            if self.down:
                raise MediaUnavailable()
            if self.refuse:
                raise self.refuse
            return f"v=0 answer for {kwargs['session']}"

    async def speaker_offer(self, **kwargs):
        return await self._record("speaker_offer", **kwargs)

    async def listener_offer(self, **kwargs):
        return await self._record("listener_offer", **kwargs)

    async def session_close(self, **kwargs):
        await self._record("session_close", **kwargs)

    async def mute(self, **kwargs):
        await self._record("mute", **kwargs)

    async def remove(self, **kwargs):
        await self._record("remove", **kwargs)

    async def close_room(self, **kwargs):
        await self._record("close_room", **kwargs)
