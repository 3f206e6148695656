"""Rate limits on the shared cache (Redis), so that they hold across processes and reconnects."""

import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)


class RateLimited(ValidationError):
    """Raised when a person does something more often than allowed."""


def hit(*, key: str, limit: int, period: int) -> bool:
    """Count one hit on `key` in a window of `period` seconds; False once past `limit`.

    The window opens with its first hit. A cache that is down lets everything through:
    a rate limit must not take the site down with the cache (it is logged).
    """
    cache_key = f"ratelimit:{key}"
    try:
        try:
            hits = cache.incr(cache_key)
        except ValueError:
            # No window yet (or it just expired): open one; a racing process may have won.
            if cache.add(cache_key, 1, timeout=period):
                return True
            hits = cache.incr(cache_key)
        if hits == 1:
            # Redis's INCR on a key that expired between its existence check and the
            # increment makes a counter with no expiry: it must not limit forever.
            cache.touch(cache_key, timeout=period)
    except ValueError:
        return True  # the window expired twice in a row: this hit opens the next one
    except Exception:
        logger.exception("Rate limit cache unavailable for %s", key)
        return True
    return hits <= limit


def rate_limit(*, key: str, limit: int, period: int, message: str) -> None:
    """Count one hit on `key`; raise RateLimited past `limit` hits in `period` seconds."""
    if not hit(key=key, limit=limit, period=period):
        raise RateLimited(message, code="rate_limited")


def slot_claim(*, key: str, slots: int, ttl: int, holder: str) -> str | None:
    """Take one of `slots` numbered places under `key` for `holder`; None when all are taken.

    Each place is a cache entry that lapses after `ttl` seconds unless refreshed, so a
    process that dies holding places gives them back by itself.
    """
    keys = [f"slot:{key}:{n}" for n in range(slots)]
    try:
        taken = cache.get_many(keys)
        for slot in keys:
            if slot not in taken and cache.add(slot, holder, timeout=ttl):
                return slot
    except Exception:
        logger.exception("Slot cache unavailable for %s", key)
        return ""  # fail open, like the rate limits; "" holds nothing
    return None


def slot_refresh(slot: str, *, ttl: int, holder: str) -> None:
    """Keep a place taken by slot_claim for another `ttl` seconds (take it back if it lapsed)."""
    if not slot:
        return
    try:
        if not cache.touch(slot, timeout=ttl):
            cache.add(slot, holder, timeout=ttl)
    except Exception:
        logger.exception("Slot cache unavailable for %s", slot)


def slot_release(slot: str, *, holder: str) -> None:
    """Give a place back, unless it lapsed and someone else holds it now."""
    if not slot:
        return
    try:
        if cache.get(slot) == holder:
            cache.delete(slot)
    except Exception:
        logger.exception("Slot cache unavailable for %s", slot)
