"""The rate limiter's windows, on a fake clock (tests/clock.py): no sleeping, no flakes."""

import pytest
from django.core.cache import cache

from core.ratelimit import RateLimited, hit, rate_limit
from tests.clock import cache_clock


@pytest.fixture
def clock(monkeypatch):
    return cache_clock(monkeypatch)


def test_it_allows_the_limit_then_refuses_until_the_window_ends(clock):
    assert [hit(key="k", limit=3, period=10) for _ in range(5)] == [True] * 3 + [False] * 2

    clock.advance(9.9)
    assert hit(key="k", limit=3, period=10) is False
    clock.advance(0.1)
    assert [hit(key="k", limit=3, period=10) for _ in range(4)] == [True] * 3 + [False]


def test_the_window_opens_with_its_first_hit_not_on_the_clock(clock):
    clock.advance(7)  # whatever the time, the window is `period` long from the first hit
    assert hit(key="k", limit=1, period=10) is True
    clock.advance(9)
    assert hit(key="k", limit=1, period=10) is False
    clock.advance(1)
    assert hit(key="k", limit=1, period=10) is True


def test_keys_are_counted_apart(clock):
    assert [hit(key="a", limit=1, period=10), hit(key="b", limit=1, period=10)] == [True, True]
    assert [hit(key="a", limit=1, period=10), hit(key="b", limit=1, period=10)] == [False, False]


def test_past_the_limit_it_raises_with_its_message(clock):
    rate_limit(key="k", limit=1, period=10, message="Slow down.")

    with pytest.raises(RateLimited) as refused:
        rate_limit(key="k", limit=1, period=10, message="Slow down.")

    assert (refused.value.code, refused.value.message) == ("rate_limited", "Slow down.")


def test_a_cache_that_is_down_lets_everything_through(monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)

    assert [hit(key="k", limit=1, period=10) for _ in range(3)] == [True] * 3
    assert "Rate limit cache unavailable for k" in caplog.text
