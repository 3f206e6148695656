import pytest
from django.core.exceptions import ValidationError

from accounts.services import block_create, follow_create
from tests.factories import TweetFactory, UserFactory
from timeline.selectors import home_timeline, tweet_replies


def test_home_has_followed_accounts_and_oneself_newest_first(alice, bob, outsider):
    follow_create(follower=alice, followee=bob)
    first = TweetFactory(author=bob, text="first")
    TweetFactory(author=outsider, text="not followed")
    second = TweetFactory(author=alice, text="second")
    third = TweetFactory(author=bob, text="third", reply_to=second)

    page = home_timeline(user=alice)

    assert page.tweets == [third, second, first]
    assert page.next_before is None


def test_home_is_cursor_paginated(alice):
    tweets = TweetFactory.create_batch(5, author=alice)

    first = home_timeline(user=alice, limit=2)
    second = home_timeline(user=alice, before=first.next_before, limit=2)
    third = home_timeline(user=alice, before=second.next_before, limit=2)

    assert [t.pk for t in first.tweets + second.tweets + third.tweets] == [
        t.pk for t in reversed(tweets)
    ]
    assert third.next_before is None


@pytest.mark.parametrize("cursor", ["abc", "-3", "0"])
def test_home_refuses_a_bad_cursor(alice, cursor):
    with pytest.raises(ValidationError):
        home_timeline(user=alice, before=cursor)


@pytest.mark.parametrize("authors", [1, 8])
def test_home_is_one_query_however_many_authors(alice, django_assert_num_queries, authors):
    for _ in range(authors):
        other = UserFactory()
        follow_create(follower=alice, followee=other)
        TweetFactory.create_batch(2, author=other, reply_to=TweetFactory(author=alice))

    with django_assert_num_queries(1):
        page = home_timeline(user=alice)
        for tweet in page.tweets:
            str(tweet.author.handle)
            str(tweet.reply_to and tweet.reply_to.author.handle)
            str(tweet.reply_count)


def test_replies_leave_out_blocked_accounts(alice, bob, outsider):
    tweet = TweetFactory(author=alice)
    from_bob = TweetFactory(author=bob, reply_to=tweet)
    from_outsider = TweetFactory(author=outsider, reply_to=tweet)

    block_create(blocker=bob, blocked=outsider)

    assert tweet_replies(tweet=tweet, viewer=bob) == [from_bob]
    assert tweet_replies(tweet=tweet, viewer=alice) == [from_bob, from_outsider]
