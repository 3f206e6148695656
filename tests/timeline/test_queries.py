"""Query counts pinned on the timelines, with what a tweet card shows (timeline/_tweet.html):
the same number for few and many tweets, authors and replies."""

import pytest

from accounts.services import follow_create
from tests.factories import TweetFactory, UserFactory
from timeline import selectors


def _tweets(count: int, *, follower=None) -> list:
    """`count` authors, each with a tweet and a reply to the previous author's tweet."""
    tweets = []
    for n in range(count):
        author = UserFactory(handle=f"author{n}")
        if follower is not None:
            follow_create(follower=follower, followee=author)
        tweets.append(TweetFactory(author=author))
        if n:
            TweetFactory(author=author, reply_to=tweets[n - 1])
    return tweets


def _cards(page) -> list[tuple]:
    return [
        (
            tweet.author.name,
            tweet.author.handle,
            tweet.author.is_brand,
            tweet.reply_to.author.handle if tweet.reply_to else None,
            tweet.reply_count,
        )
        for tweet in page.tweets
    ]


@pytest.mark.parametrize("count", [2, 6])
def test_the_home_timeline_is_one_query(count, alice, django_assert_num_queries):
    _tweets(count, follower=alice)
    TweetFactory(author=alice)

    with django_assert_num_queries(1):
        cards = _cards(selectors.home_timeline(user=alice))

    assert len(cards) == 2 * count


@pytest.mark.parametrize("count", [2, 6])
def test_a_profile_timeline_is_one_query(count, alice, bob, django_assert_num_queries):
    for tweet in _tweets(count):
        TweetFactory(author=bob, reply_to=tweet)

    with django_assert_num_queries(1):
        cards = _cards(selectors.profile_timeline(author=bob, viewer=alice))

    assert len(cards) == count
    assert {card[3] for card in cards} == {f"author{n}" for n in range(count)}
