import pytest

from accounts.services import follow_create
from rooms import services as rooms
from tests.factories import TweetFactory, UserFactory
from timeline.models import Tweet

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "compose"}


def test_compose_with_htmx_returns_the_new_card_and_a_fresh_box(alice_client, alice):
    response = alice_client.post("/tweets/", {"text": "Hello, Spaces!"}, **HTMX)

    tweet = Tweet.objects.get()
    assert (tweet.author, tweet.text) == (alice, "Hello, Spaces!")
    assert f'id="tweet-{tweet.pk}"' in response.text
    assert 'hx-swap-oob="afterbegin:#tweet-list"' in response.text
    assert "></textarea>" in response.text  # the compose box is empty again


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write something first."), ("y" * 281, "this one has 281")],
)
def test_a_bad_tweet_keeps_the_text_and_shows_the_error(alice_client, text, message):
    response = alice_client.post("/tweets/", {"text": text}, **HTMX)

    assert response.status_code == 400
    assert message in response.text
    assert f">{text}</textarea>" in response.text
    assert Tweet.objects.count() == 0


def test_compose_without_javascript_redirects_home(alice_client):
    response = alice_client.post("/tweets/", {"text": "plain form"})

    assert response.headers["Location"] == "/"
    assert Tweet.objects.get().text == "plain form"


def test_a_reply_appears_under_the_tweet(alice_client, bob):
    tweet = TweetFactory(author=bob, text="Question?")

    alice_client.post("/tweets/", {"text": "Answer!", "reply_to": tweet.pk}, **HTMX)

    page = alice_client.get(tweet.get_absolute_url())
    assert "Answer!" in page.text
    assert "Replying to @bob" in page.text


def test_a_reply_with_htmx_updates_the_count_and_drops_the_empty_note(alice_client, bob):
    tweet = TweetFactory(author=bob, text="Question?")
    TweetFactory(author=bob, text="Earlier answer", reply_to=tweet)
    page = alice_client.get(tweet.get_absolute_url())
    assert f'<a id="reply-count-{tweet.pk}" href="/tweets/{tweet.pk}/">1 reply</a>' in page.text

    response = alice_client.post("/tweets/", {"text": "Answer!", "reply_to": tweet.pk}, **HTMX)

    assert (
        f'<a id="reply-count-{tweet.pk}" href="/tweets/{tweet.pk}/" hx-swap-oob="true">'
        "2 replies</a>"
    ) in response.text
    assert '<div id="no-replies" hx-swap-oob="true"></div>' in response.text


def test_a_tweet_page_without_replies_says_so_where_a_reply_removes_it(client, bob):
    tweet = TweetFactory(author=bob, text="Anyone?")

    page = client.get(tweet.get_absolute_url())

    assert '<div id="no-replies"><p class="empty">No replies yet.</p></div>' in page.text


def test_anonymous_people_cannot_tweet(client, db):
    response = client.post("/tweets/", {"text": "hi"})

    assert response.headers["Location"].startswith("/accounts/login/")
    assert Tweet.objects.count() == 0


def test_tweets_turn_links_and_mentions_into_safe_links(alice_client, alice, bob):
    TweetFactory(
        author=alice,
        text='<script>alert("x")</script> see https://example.com/a?b=1&c=2. cc @bob',
    )

    html = alice_client.get("/").text

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener ugc"' in html
    assert '<a href="/@bob/" class="mention">@bob</a>' in html


def test_load_more_returns_the_next_page_as_a_partial(alice_client, alice, bob):
    follow_create(follower=alice, followee=bob)
    tweets = TweetFactory.create_batch(25, author=bob)

    first = alice_client.get("/")
    more = alice_client.get(
        f"/?before={first.context['page'].next_before}",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="more-tweets",
    )

    assert "<html" not in more.text
    assert f'id="tweet-{tweets[0].pk}"' in more.text
    assert f'id="tweet-{tweets[24].pk}"' in first.text
    assert "Load more" not in more.text


def test_a_bad_cursor_is_a_400_with_a_reason(alice_client):
    response = alice_client.get("/?before=nope")

    assert response.status_code == 400
    assert response.text == "Invalid page cursor."


def test_the_profile_shows_counts_bio_and_tweets(client, alice, bob, alice_follows_bob):
    bob.bio = "Builder of things"
    bob.save()
    TweetFactory(author=bob, text="Hello from Bob")

    response = client.get("/@BOB/")

    assert "Builder of things" in response.text
    assert "Hello from Bob" in response.text
    person = response.context["person"]
    assert (person.followers_count, person.following_count) == (1, 0)


def test_an_unknown_profile_is_404(client, db):
    assert client.get("/@nobody/").status_code == 404


@pytest.mark.parametrize("tweets", [1, 15])
def test_the_profile_page_takes_three_queries_however_many_tweets(
    client, db, django_assert_num_queries, tweets
):
    person = UserFactory(handle="carol")
    TweetFactory.create_batch(tweets, author=person)

    # the person with counts, one page of tweets, their upcoming Spaces (none here)
    with django_assert_num_queries(3):
        response = client.get("/@carol/")

    assert len(response.context["page"].tweets) == tweets


@pytest.mark.parametrize("live", [1, 3])
def test_the_home_page_takes_the_same_queries_however_many_live_spaces(
    alice_client, alice, django_assert_num_queries, live
):
    for n in range(live):
        host = UserFactory(handle=f"host{n}")
        follow_create(follower=alice, followee=host)
        TweetFactory(author=host)
        space = rooms.space_create(host=host, title=f"Live number {n}")
        rooms.space_join(space=space, user=UserFactory(handle=f"listener{n}"), anon_id="")

    # the session, the person, one page of tweets, the live bar's Spaces and their stages,
    # the bell's count of unread notifications
    with django_assert_num_queries(6):
        response = alice_client.get("/")

    assert response.text.count('class="live-bubble"') == live
    assert "Live number 0" in response.text
