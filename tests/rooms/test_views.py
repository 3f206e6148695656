import pytest

from accounts.services import follow_create
from rooms import services
from rooms.models import Participant, Space
from tests.factories import TweetFactory, UserFactory
from tests.rooms.conftest import on_stage, seat, seat_of


def test_the_space_page_is_public_with_link_preview_tags(client, space):
    response = client.get(f"/s/{space.code}/")

    assert '<meta property="og:title" content="Morning show">' in response.text
    assert "A Space hosted by Hana Host on Spaces." in response.text
    assert "You are listening anonymously." in response.text
    assert client.session["anon_id"]


def test_host_controls_appear_only_to_the_host(client, space, host, listener):
    client.force_login(listener)
    assert f"/spaces/{space.code}/manage/" not in client.get(f"/s/{space.code}/").text

    client.force_login(host)
    assert f"/spaces/{space.code}/manage/" in client.get(f"/s/{space.code}/").text


def test_an_ended_space_shows_the_ended_page(client, space, host):
    services.space_end(space=space, actor=host)

    response = client.get(f"/s/{space.code}/")

    assert "This Space has ended." in response.text
    assert "ws/spaces" not in response.text


def test_an_unknown_space_is_404(client, db):
    assert client.get("/s/doesnotexist/").status_code == 404


def test_the_state_snapshot_includes_the_viewers_seat(client, space, listener):
    client.force_login(listener)

    snapshot = client.get(f"/spaces/{space.code}/state").json()

    assert snapshot["me"]["handle"] == "listener"
    assert snapshot["counts"] == {"total": 2, "listed": 2}
    assert snapshot["seq"] == Space.objects.get(pk=space.pk).seq


@pytest.mark.parametrize("people", [1, 5])
def test_the_snapshot_takes_a_constant_number_of_queries(
    client, space, django_assert_num_queries, people
):
    for n in range(people):
        on_stage(space, UserFactory(handle=f"talker{n}"))
        seat(space, UserFactory(handle=f"fan{n}"))
    client.get(f"/spaces/{space.code}/state")  # the browser's session exists from now on

    # session, space, its topics, this browser's seat, snapshot fields, stage, hands,
    # listeners, counts, pins
    with django_assert_num_queries(10):
        response = client.get(f"/spaces/{space.code}/state")

    assert len(response.json()["stage"]) == people + 1


def test_the_directory_searches_title_host_and_topic(client, space):
    other = services.space_create(
        host=UserFactory(handle="dj"), title="Vinyl night", topics=["music"]
    )

    by_topic = client.get("/spaces/?q=%23news")
    by_host = client.get("/spaces/?q=@dj")
    by_title = client.get(
        "/spaces/?q=vinyl", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="space-results"
    )

    assert [s.code for s in by_topic.context["live"]] == [space.code]
    assert [s.code for s in by_host.context["live"]] == [other.code]
    assert "Vinyl night" in by_title.text
    assert "<html" not in by_title.text


def test_creating_a_space_goes_live_and_opens_it(client, host):
    client.force_login(host)

    response = client.post(
        "/spaces/new/",
        {"title": "Launch party", "topics": "launch, party", "speak_policy": "followed"},
    )

    space = Space.objects.get(title="Launch party")
    assert response.headers["Location"] == f"/s/{space.code}/"
    assert (space.state, space.speak_policy) == (Space.State.LIVE, "followed")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "x" * 71}, "A title is at most 70 characters; this one has 71."),
        ({"title": "Ok", "topics": "a, b, c, d"}, "A Space has at most 3 topics."),
    ],
)
def test_a_bad_space_gets_form_errors(client, host, data, message):
    client.force_login(host)

    response = client.post("/spaces/new/", {"speak_policy": "everyone", **data})

    assert message in response.text
    assert Space.objects.count() == 0


def test_the_dashboard_lists_my_spaces_by_state(client, space, host):
    ended = services.space_create(host=host, title="Yesterday")
    services.space_end(space=ended, actor=host)
    client.force_login(host)

    response = client.get("/spaces/mine/")

    assert [s.title for s in response.context["live"]] == ["Morning show"]
    assert [s.title for s in response.context["ended"]] == ["Yesterday"]


def test_the_dashboard_lists_a_space_that_was_not_held_with_the_past_ones(client, host):
    missed = services.space_create(host=host, title="Never started", start_now=False)
    Space.objects.filter(pk=missed.pk).update(state=Space.State.NOT_HELD)
    client.force_login(host)

    response = client.get("/spaces/mine/")

    assert [s.title for s in response.context["ended"]] == ["Never started"]
    assert "Not held" in response.text


def test_managing_someone_elses_space_is_404(client, space, listener):
    client.force_login(listener)

    assert client.get(f"/spaces/{space.code}/manage/").status_code == 404
    assert client.post(f"/spaces/{space.code}/end/").status_code == 404
    assert Space.objects.get(pk=space.pk).state == Space.State.LIVE


def test_the_host_adds_a_cohost_by_handle_and_pins_a_tweet(client, space, host, listener):
    client.force_login(host)
    tweet = TweetFactory(author=host, text="Read this first")

    client.post(f"/spaces/{space.code}/cohosts/", {"handle": "@Listener"})
    page = client.post(
        f"/spaces/{space.code}/pins/", {"tweet": f"http://x/tweets/{tweet.pk}/"}, follow=True
    )

    assert seat_of(space, listener).role == Participant.Role.COHOST
    assert "Read this first" in page.text


def test_a_fourth_pin_shows_the_reason(client, space, host):
    client.force_login(host)
    for _ in range(3):
        client.post(f"/spaces/{space.code}/pins/", {"tweet": TweetFactory().pk})

    page = client.post(f"/spaces/{space.code}/pins/", {"tweet": TweetFactory().pk}, follow=True)

    assert "A Space has at most 3 pinned tweets; unpin one first." in page.text


def test_the_host_ends_the_space_from_the_manage_page(client, space, host):
    client.force_login(host)

    page = client.post(f"/spaces/{space.code}/end/", follow=True)

    assert Space.objects.get(pk=space.pk).state == Space.State.ENDED
    assert "This Space has ended." in page.text


def test_the_live_bar_shows_spaces_of_followed_hosts_and_speakers(client, space, host, speaker):
    reader = UserFactory(handle="reader")
    follow_create(follower=reader, followee=speaker)
    elsewhere = services.space_create(host=UserFactory(handle="stranger"), title="Not for you")
    client.force_login(reader)

    home = client.get("/")

    assert [s.code for s in home.context["live_spaces"]] == [space.code]
    assert "Not for you" not in home.text
    assert elsewhere.code not in home.text
    services.space_end(space=space, actor=host)
    assert client.get("/spaces/live-bar/").context["live_spaces"] == []


def test_only_the_host_and_present_cohosts_see_what_they_may_pin(
    client, space, host, cohost, listener, outsider
):
    TweetFactory(author=host, text="By the host")
    TweetFactory(author=cohost, text="By the co-host")
    TweetFactory(author=listener, text="By a listener")
    url = f"/spaces/{space.code}/pinnable/"

    assert client.get(url).status_code == 302  # to sign in
    for person in (listener, outsider):
        client.force_login(person)
        assert client.get(url).status_code == 404
    client.force_login(cohost)
    assert [t["text"] for t in client.get(url).json()["tweets"]] == [
        "By the co-host",
        "By the host",
    ]
    client.force_login(host)
    assert [t["text"] for t in client.get(url).json()["tweets"]] == ["By the host"]

    services.stage_leave(participant=seat_of(space, cohost))
    services.space_leave(participant=seat_of(space, cohost))
    client.force_login(cohost)
    assert client.get(url).status_code == 404
