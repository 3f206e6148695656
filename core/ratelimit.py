"""A fixed-window rate limit on the shared cache (Redis)."""

import logging

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
