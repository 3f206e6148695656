"""Holes an outside probe found in the API: password guessing, deep JSON, huge ids."""

import io

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ParseError

from core.parsers import JSON_MAX_DEPTH, JSONParser
from rooms import services as rooms_services
from rooms.models import Participant, PinnedTweet
from tests.factories import TweetFactory
from timeline.models import Tweet

HUGE = 2**64  # past any row id: a BigAutoField stops at 2**63 - 1
LOCKED = "Too many failed login attempts. Try again later."


def _form_sign_in(client, password):
    return client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": password}
    )


def _token(api, password, username="alice"):
    return api.post("/api/auth/token/", {"username": username, "password": password}, format="json")


# One lockout for the sign-in form and the token endpoint (allauth's "login_failed").


def test_the_token_endpoint_refuses_while_the_form_is_locked(client, api, alice, password):
    for _attempt in range(5):
        _form_sign_in(client, "wrong")

    response = _token(api, password)

    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED, "code": "too_many_login_attempts"}
    assert not Token.objects.filter(user=alice).exists()


def test_token_guesses_lock_the_sign_in_form_too(client, api, alice, password):
    refusals = [_token(api, "wrong", username="ALICE@example.com").status_code for _ in range(5)]

    locked = _token(api, password)
    form = _form_sign_in(client, password)

    assert refusals == [400] * 5
    assert (locked.status_code, locked.json()["detail"]) == (429, LOCKED)
    assert LOCKED in form.text
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_a_400_with_a_reason(api, alice):
    response = _token(api, "wrong")

    assert response.status_code == 400
    assert response.json()["code"] == "email_password_mismatch"
    assert response.json()["detail"] == (
        "The email address and/or password you specified are not correct."
    )


def test_a_handle_or_an_email_gets_the_token(api, alice, password):
    by_handle = _token(api, password, username="Alice").json()["token"]
    by_email = _token(api, password, username="alice@example.com").json()["token"]

    assert by_handle == by_email == Token.objects.get(user=alice).key


# Deeply nested JSON is a 400 with a reason, never a RecursionError.


@pytest.mark.parametrize("depth", [1500, 40])
def test_deeply_nested_json_is_a_400(alice_api, depth):
    body = "[" * depth + "]" * depth  # 1,500 brackets: 3 KB

    response = alice_api.post("/api/tweets/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON is nested too deeply.", "code": "json_too_deep"}
    assert Tweet.objects.count() == 0


def test_nesting_up_to_the_limit_parses():
    deepest = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    too_deep = "[" + deepest + "]"

    parsed = JSONParser().parse(io.BytesIO(deepest.encode()))

    assert str(parsed).count("[") == JSON_MAX_DEPTH
    with pytest.raises(ParseError):
        JSONParser().parse(io.BytesIO(too_deep.encode()))


# Ids past 64 bits: a 404 in a URL, a 400 in a body, never an OverflowError.


@pytest.fixture
def pinned(host):
    space = rooms_services.space_create(host=host, title="Pinned show")
    tweet = TweetFactory(author=host)
    rooms_services.pin_add(space=space, actor=host, tweet_id=tweet.pk)
    return space


def test_unpinning_a_huge_id_is_a_404_and_keeps_the_pin(api, host, pinned):
    api.force_authenticate(host)

    response = api.delete(f"/api/spaces/{pinned.code}/pins/{HUGE}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert PinnedTweet.objects.filter(space=pinned).count() == 1


def test_unpinning_a_huge_id_from_the_page_is_a_404(client, host, pinned):
    client.force_login(host)

    response = client.post(f"/spaces/{pinned.code}/pins/{HUGE}/remove/")

    assert response.status_code == 404
    assert PinnedTweet.objects.filter(space=pinned).count() == 1


@pytest.mark.parametrize("path", ["/api/tweets/{huge}/", "/tweets/{huge}/"])
def test_a_huge_id_in_a_url_is_a_404(alice_client, path):
    response = alice_client.get(path.format(huge=HUGE))

    assert response.status_code == 404


def test_muting_a_participant_past_64_bits_is_a_404_and_mutes_nobody(api, host, pinned):
    # One past the largest id a row can have: the <id:> converter refuses it, where a plain
    # <int:> would hand it to the database (OverflowError on PostgreSQL).
    api.force_authenticate(host)
    before = list(Participant.objects.values_list("pk", "muted_by_host"))

    response = api.post(f"/api/spaces/{pinned.code}/participants/{2**63}/mute/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert list(Participant.objects.values_list("pk", "muted_by_host")) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/tweets/", {"text": "hi", "reply_to": HUGE}, "reply_to"),
        ("/api/notifications/read/", {"id": HUGE}, "id"),
    ],
)
def test_a_huge_id_in_a_body_is_a_400(alice_api, path, body, field):
    response = alice_api.post(path, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Tweet.objects.count() == 0


def test_a_huge_pin_in_a_body_is_a_400(api, host, pinned):
    api.force_authenticate(host)

    response = api.post(f"/api/spaces/{pinned.code}/pins/", {"tweet": HUGE}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "tweet": ["Ensure this value is less than or equal to 9223372036854775807."]
    }


def test_a_huge_reply_to_from_the_page_changes_nothing(alice_client):
    response = alice_client.post("/tweets/", {"text": "hi", "reply_to": str(HUGE)})

    assert response.status_code == 404
    assert Tweet.objects.count() == 0


def test_a_nul_byte_in_a_query_is_a_400(alice_api, alice_client):
    api = alice_api.get("/api/tweets/?author=al%00ice")
    page = alice_client.get("/spaces/?q=x%00y")

    assert (api.status_code, api.json()["code"]) == (400, "bad_request")
    assert page.status_code == 400
    assert "Spaces could not understand this request" in page.text
