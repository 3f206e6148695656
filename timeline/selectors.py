"""Reads for the timeline: the home timeline, profile timelines and tweet pages."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Follow
from accounts.selectors import hidden_user_ids
from timeline.cards import cards_attach
from timeline.models import Tweet

PAGE_SIZE = 20


@dataclass(frozen=True)
class TweetPage:
    tweets: list[Tweet]
    next_before: int | None  # the cursor for "load more", None on the last page


def parse_cursor(before) -> int | None:
    """Read a `before` cursor from a query string; reject anything but a positive id."""
    if before in (None, ""):
        return None
    try:
        value = int(before)
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise ValidationError(_("Invalid page cursor."), code="invalid_cursor")
    return value


def visible_tweets(viewer) -> QuerySet:
    """Tweets with what a card shows, leaving out accounts hidden from the viewer."""
    # A correlated subquery, not a JOIN + GROUP BY: the database counts replies only for
    # the page of rows it returns, not for every tweet it considers.
    replies = (
        Tweet.objects.filter(reply_to=OuterRef("pk"))
        .order_by()
        .values("reply_to")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Tweet.objects.select_related("author", "reply_to__author")
        .annotate(reply_count=Coalesce(Subquery(replies), 0))
        .exclude(author__in=hidden_user_ids(viewer))
        .filter(author__is_active=True)
        .order_by("-id")
    )


def _page(queryset: QuerySet, before, limit: int) -> TweetPage:
    cursor = parse_cursor(before)
    if cursor is not None:
        queryset = queryset.filter(pk__lt=cursor)
    tweets = list(queryset[: limit + 1])
    has_more = len(tweets) > limit
    tweets = tweets[:limit]
    return TweetPage(tweets=tweets, next_before=tweets[-1].pk if has_more else None)


def home_timeline(*, user, before=None, limit: int = PAGE_SIZE) -> TweetPage:
    """Tweets by the people `user` follows and by `user`, newest first, one query."""
    followed = Follow.objects.filter(follower=user).values("followee")
    queryset = visible_tweets(user).filter(Q(author__in=followed) | Q(author=user))
    page = _page(queryset, before, limit)
    cards_attach(page.tweets, viewer=user)
    return page


def profile_timeline(*, author, viewer, before=None, limit: int = PAGE_SIZE) -> TweetPage:
    """One person's tweets and replies, newest first."""
    page = _page(visible_tweets(viewer).filter(author=author), before, limit)
    cards_attach(page.tweets, viewer=viewer)
    return page


def tweet_replies(*, tweet: Tweet, viewer, limit: int = 200) -> list[Tweet]:
    """Replies to a tweet that the viewer may see, oldest first."""
    replies = list(visible_tweets(viewer).filter(reply_to=tweet).order_by("id")[:limit])
    cards_attach(replies, viewer=viewer)
    return replies
