"""A fixed-window rate limit on the shared cache (Redis)."""

import logging
import time

from django.core.cache import cache
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)


class RateLimited(ValidationError):
    """Raised when a person does something more often than allowed."""


def rate_limit(*, key: str, limit: int, period: int, message: str) -> None:
    """Count one hit on `key`; raise RateLimited past `limit` hits in `period` seconds."""
    cache_key = f"ratelimit:{key}"
    try:
        cache.add(cache_key, 0, timeout=period)
        hits = cache.incr(cache_key)
    except ValueError:
        # The window expired between add and incr: this hit opens a new one.
        cache.set(cache_key, 1, timeout=period)
        hits = 1
    except Exception:
        # A rate limit must not take the site down with the cache: fail open, loudly.
        logger.exception("Rate limit cache unavailable for %s", key)
        return
    if hits > limit:
        raise RateLimited(message, code="rate_limited")


class TokenBucket:
    """An in-memory bucket for one connection: `rate` tokens a second, up to `burst`."""

    def __init__(self, *, rate: float, burst: int, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
