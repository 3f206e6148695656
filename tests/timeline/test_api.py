import pytest

from accounts.services import block_create, follow_create
from tests.factories import TweetFactory
from timeline.models import Tweet


def test_it_creates_a_tweet_and_a_reply(alice_api, alice, bob):
    parent = TweetFactory(author=bob, text="parent")

    created = alice_api.post(
        "/api/tweets/", {"text": "a reply", "reply_to": parent.pk}, format="json"
    )

    assert created.status_code == 201
    body = created.json()
    assert (body["text"], body["reply_to"], body["author"]["handle"]) == (
        "a reply",
        parent.pk,
        "alice",
    )
    detail = alice_api.get(f"/api/tweets/{parent.pk}/").json()
    assert [r["text"] for r in detail["replies"]] == ["a reply"]


@pytest.mark.parametrize(("text", "code"), [("", "tweet_empty"), ("z" * 281, "tweet_too_long")])
def test_a_bad_tweet_is_a_400_with_a_reason(alice_api, text, code):
    response = alice_api.post("/api/tweets/", {"text": text}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Tweet.objects.count() == 0


def test_anonymous_callers_cannot_tweet(api, db):
    response = api.post("/api/tweets/", {"text": "hi"}, format="json")

    assert response.status_code == 401
    assert Tweet.objects.count() == 0


def test_the_home_timeline_is_paginated(alice_api, alice, bob):
    follow_create(follower=alice, followee=bob)
    TweetFactory.create_batch(21, author=bob)
    TweetFactory(author=alice, text="newest")

    first = alice_api.get("/api/timeline/home/").json()
    second = alice_api.get(f"/api/timeline/home/?before={first['next_before']}").json()

    assert first["results"][0]["text"] == "newest"
    assert (len(first["results"]), len(second["results"])) == (20, 2)
    assert second["next_before"] is None


def test_a_bad_cursor_is_a_400(alice_api):
    response = alice_api.get("/api/timeline/home/?before=x")

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid page cursor."


def test_a_blocked_persons_tweets_are_hidden_from_the_list(alice_api, alice, bob):
    TweetFactory(author=bob)
    block_create(blocker=bob, blocked=alice)

    response = alice_api.get("/api/tweets/?author=bob").json()

    assert response["results"] == []


def test_the_schema_and_docs_are_served(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    docs = api.get("/api/docs/")

    assert {"/api/me/", "/api/tweets/", "/api/timeline/home/"} <= set(schema["paths"])
    assert "swagger-ui" in docs.content.decode()
