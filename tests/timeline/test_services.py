import pytest
from django.core.exceptions import ValidationError

from accounts.services import block_create
from core.ratelimit import RateLimited
from tests.clock import cache_clock
from tests.factories import TweetFactory
from timeline.models import Tweet
from timeline.services import TWEETS_PER_MINUTE, tweet_create


def test_it_posts_a_tweet_trimmed(alice):
    tweet = tweet_create(author=alice, text="  hello world \n")

    assert (tweet.author, tweet.text) == (alice, "hello world")


def test_it_posts_exactly_280_characters(alice):
    assert len(tweet_create(author=alice, text="é" * 280).text) == 280


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write something first."),
        ("   \n ", "Write something first."),
        ("x" * 281, "A tweet is at most 280 characters; this one has 281."),
    ],
    ids=["empty", "blank", "281"],
)
def test_it_refuses_bad_tweets_and_posts_nothing(alice, text, message):
    with pytest.raises(ValidationError) as error:
        tweet_create(author=alice, text=text)

    assert error.value.message_dict == {"text": [message]}
    assert Tweet.objects.count() == 0


def test_it_refuses_a_reply_across_a_block(alice, bob):
    tweet = TweetFactory(author=bob)
    block_create(blocker=bob, blocked=alice)

    with pytest.raises(ValidationError) as error:
        tweet_create(author=alice, text="hi", reply_to=tweet)

    assert error.value.message_dict == {"reply_to": ["You cannot reply to this tweet."]}


def test_it_limits_how_fast_one_tweets(alice, monkeypatch):
    clock = cache_clock(monkeypatch)  # the window ends when the test says, not the machine
    for n in range(TWEETS_PER_MINUTE):
        tweet_create(author=alice, text=f"tweet {n}")

    with pytest.raises(RateLimited):
        tweet_create(author=alice, text="one too many")

    assert Tweet.objects.count() == TWEETS_PER_MINUTE
    clock.advance(60)
    tweet_create(author=alice, text="a minute later")
    assert Tweet.objects.count() == TWEETS_PER_MINUTE + 1
