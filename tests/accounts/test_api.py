from rest_framework.authtoken.models import Token

from accounts.models import Follow
from accounts.services import follow_create


def test_it_issues_a_token_that_authenticates(api, alice, password):
    response = api.post("/api/auth/token/", {"username": "alice", "password": password})
    token = response.json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/me/").json()

    assert token == Token.objects.get(user=alice).key
    assert (me["handle"], me["email"]) == ("alice", "alice@example.com")


def test_me_needs_credentials(api, db):
    response = api.get("/api/me/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_a_bad_token_is_a_401_that_says_how_to_authenticate(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = api.get("/api/spaces/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_it_updates_the_profile(alice_api, alice):
    response = alice_api.patch("/api/me/", {"bio": "API-made bio"}, format="json")

    alice.refresh_from_db()
    assert (alice.bio, response.json()["bio"]) == ("API-made bio", "API-made bio")


def test_it_follows_and_unfollows(alice_api, alice, bob):
    followed = alice_api.post("/api/users/bob/follow/").json()
    assert followed["viewer_follows"] is True
    assert followed["followers_count"] == 1

    unfollowed = alice_api.delete("/api/users/BOB/follow/").json()
    assert unfollowed["viewer_follows"] is False
    assert Follow.objects.count() == 0


def test_following_oneself_is_a_400_with_a_reason(alice_api):
    response = alice_api.post("/api/users/alice/follow/")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "You cannot follow yourself.",
        "code": "follow_self",
        "errors": {"detail": ["You cannot follow yourself."]},
    }


def test_following_an_unknown_person_is_a_404(alice_api):
    response = alice_api.post("/api/users/nobody/follow/")

    assert response.status_code == 404
    assert response.json()["detail"] == "No such account."


def test_blocking_removes_follows(alice_api, alice, bob):
    follow_create(follower=bob, followee=alice)

    response = alice_api.post("/api/users/bob/block/").json()

    assert response["viewer_blocked"] is True
    assert Follow.objects.count() == 0
