"""Writes for the timeline: tweets and replies."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.selectors import is_blocked_between
from core.ratelimit import rate_limit
from timeline.models import TWEET_MAX_LENGTH, Tweet

TWEETS_PER_MINUTE = 30


@transaction.atomic
def tweet_create(*, author, text: str, reply_to: Tweet | None = None) -> Tweet:
    """Post a tweet of 1–280 characters, or a reply to one the author may see."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            {"text": ValidationError(_("Write something first."), code="tweet_empty")}
        )
    if len(text) > TWEET_MAX_LENGTH:
        message = _("A tweet is at most %(max)s characters; this one has %(count)s.") % {
            "max": TWEET_MAX_LENGTH,
            "count": len(text),
        }
        raise ValidationError({"text": ValidationError(message, code="tweet_too_long")})
    if reply_to is not None and is_blocked_between(author, reply_to.author):
        message = _("You cannot reply to this tweet.")
        raise ValidationError({"reply_to": ValidationError(message, code="reply_blocked")})
    rate_limit(
        key=f"tweet:{author.pk}",
        limit=TWEETS_PER_MINUTE,
        period=60,
        message=_("You are tweeting too fast. Wait a minute and try again."),
    )
    return Tweet.objects.create(author=author, text=text, reply_to=reply_to)
