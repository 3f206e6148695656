"""A clock that tests move by hand, for the rate-limit windows.

core/ratelimit.py counts hits in windows that live in the cache and lapse with the cache
entry's timeout, so the cache's clock is the limiter's clock. The suite's cache is
LocMemCache, which reads `time.time()` (when an entry is set, in the base backend, and
when it is read, in locmem): `cache_clock(monkeypatch)` replaces that clock in both
with one that stands still until the test moves it. A burst then falls in one window
however slowly a busy machine sends it, and a window ends exactly when the test says.
"""

from django.core.cache.backends import base, locmem


class FakeClock:
    """Stands still; `advance(seconds)` moves it on."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def cache_clock(monkeypatch) -> FakeClock:
    """Put the cache (and so every rate-limit window) on a fake clock for this test."""
    clock = FakeClock()
    monkeypatch.setattr(base, "time", clock)
    monkeypatch.setattr(locmem, "time", clock)
    return clock
