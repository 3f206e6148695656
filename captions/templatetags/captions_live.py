"""What the live Space page needs from captions, for rooms' template (loaded by name, so
that rooms never imports captions): the languages that can be captioned, and the words
of the captions region's script."""

import redis
from django import template
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from captions import engine

register = template.Library()

WORKER_ALIVE_KEY = "captions-alive"  # captions/worker.py keeps it (3 s TTL, set every 1 s)
_redis: redis.Redis | None = None


@register.simple_tag
def captions_worker_alive() -> bool | None:
    """Whether the captions worker is running (its heartbeat is in Redis): one GET;
    None when Redis cannot tell (then the page says nothing)."""
    global _redis
    try:
        if _redis is None:
            _redis = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return _redis.get(WORKER_ALIVE_KEY) is not None
    except Exception:
        _redis = None
        return None


@register.simple_tag
def caption_languages() -> str:
    """The languages this site's speech models caption, space-separated (for the script)."""
    return " ".join(sorted(engine.languages()))


@register.simple_tag
def caption_language_choices() -> list[tuple[str, str]]:
    """Each caption language in its own name (English, Italiano), for the host's menu."""
    return [
        (code, capfirst(get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]


@register.simple_tag
def caption_strings() -> dict:
    """The words of the captions region's script, in the page's language."""
    return {
        "unavailable": _("Captions in %(language)s need a configured speech model."),
        # Language names in the reader's language: "Captions in Italian", "in italiano".
        "languages": {code: str(name) for code, name in settings.LANGUAGES},
        "hide": _("Hide captions"),
        "show": _("Show captions"),
        "larger": _("Larger captions"),
        "saving": _("Saving…"),
        "failed": _("Could not change the captions: try again."),
        "waiting": _("Captions appear here when someone speaks."),
        "down": _("Captions are unavailable right now."),
    }
