import pytest

from rooms import selectors
from rooms.models import ReactionTally, Space
from tests.clock import cache_clock
from tests.rooms.conftest import seat_of


def test_it_creates_a_live_space(alice_api, alice):
    response = alice_api.post(
        "/api/spaces/", {"title": "API show", "topics": ["api"]}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["state"], response.json()["topics"]) == ("live", ["api"])
    assert Space.objects.get().host == alice


def test_it_creates_a_space_captioned_in_the_language_asked(alice_api, alice):
    response = alice_api.post(
        "/api/spaces/",
        {"title": "In italiano", "captions": True, "captions_language": "it"},
        format="json",
    )

    assert response.status_code == 201
    space = Space.objects.get()
    assert (space.captions, space.captions_language) == (True, "it")


def test_a_caption_language_we_do_not_have_is_a_400(alice_api):
    response = alice_api.post(
        "/api/spaces/", {"title": "Klingon", "captions_language": "tlh"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["captions_language"]
    assert Space.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"title": "t" * 71}, {"title": ["A title is at most 70 characters; this one has 71."]}),
        (
            {"title": "ok", "topics": ["a", "b", "c", "d"]},
            {"topics": ["A Space has at most 3 topics."]},
        ),
    ],
)
def test_a_bad_space_is_a_400_with_the_reason(alice_api, data, errors):
    response = alice_api.post("/api/spaces/", data, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert Space.objects.count() == 0


def test_anonymous_callers_cannot_create(api, db):
    response = api.post("/api/spaces/", {"title": "x"}, format="json")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert Space.objects.count() == 0


def test_an_anonymous_join_without_the_csrf_token_is_refused(space):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)

    response = browser.post(f"/api/spaces/{space.code}/join/", {}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert space.participants.count() == 1  # the host only


def test_join_raise_a_hand_and_leave(alice_api, alice, space):
    joined = alice_api.post(f"/api/spaces/{space.code}/join/", {}, format="json").json()
    raised = alice_api.post(f"/api/spaces/{space.code}/hand/").json()
    alice_api.post(f"/api/spaces/{space.code}/leave/")

    assert joined["me"]["role"] == "listener"
    assert [p["handle"] for p in raised["hands"]] == ["alice"]
    assert seat_of(space, alice).left_at is not None


def test_raising_a_hand_without_joining_is_a_400(alice_api, space):
    response = alice_api.post(f"/api/spaces/{space.code}/hand/")

    assert response.status_code == 400
    assert response.json()["code"] == "not_in_space"


def test_an_anonymous_browser_joins_and_reacts(api, space):
    api.post(f"/api/spaces/{space.code}/join/", {}, format="json")

    response = api.post(f"/api/spaces/{space.code}/reactions/", {"emoji": "👏"}, format="json")

    assert response.status_code == 202
    assert list(ReactionTally.objects.values_list("emoji", "count")) == [("👏", 1)]


def test_an_unknown_reaction_is_a_400(api, space):
    api.post(f"/api/spaces/{space.code}/join/", {}, format="json")

    response = api.post(f"/api/spaces/{space.code}/reactions/", {"emoji": "🍕"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "bad_reaction")


def test_joining_an_ended_space_is_a_400(api, space, host):
    from rooms.services import space_end

    space_end(space=space, actor=host)

    response = api.post(f"/api/spaces/{space.code}/join/", {}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "space_ended")


def test_an_unknown_moderation_action_is_a_404(api, space, host):
    api.force_authenticate(host)

    response = api.post(f"/api/spaces/{space.code}/participants/1/launch/")

    assert response.status_code == 404


def test_the_list_searches(api, space):
    found = api.get("/api/spaces/?q=morning").json()
    missing = api.get("/api/spaces/?q=evening").json()

    assert [s["code"] for s in found["live"]] == [space.code]
    assert missing["live"] == []


def test_raising_a_hand_through_the_api_is_limited_per_person(api, space, listener, monkeypatch):
    cache_clock(monkeypatch)  # all six calls in one window, however slow the machine
    api.force_authenticate(listener)
    url = f"/api/spaces/{space.code}/hand/"
    for _ in range(3):
        assert api.post(url).status_code == 200
        assert api.delete(url).status_code == 200

    refused = api.post(url)

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert selectors.hands(space) == []
