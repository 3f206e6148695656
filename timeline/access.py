"""Permission-checked fetches for the timeline, used by its pages, its API and other apps
(a pin is a tweet the host may see)."""

from django.http import Http404

from core.forms import row_id
from timeline.models import Tweet
from timeline.selectors import visible_tweets


def access_tweet(*, tweet_id: int, viewer) -> Tweet:
    """A tweet the viewer may see, or 404 (also for an id no row can have)."""
    if row_id(tweet_id) is None:
        raise Http404("No such tweet.")
    try:
        return visible_tweets(viewer).get(pk=tweet_id)
    except Tweet.DoesNotExist:
        raise Http404("No such tweet.") from None
