"""The host's captions switch (page and API), the room's snapshot, and the forms' language."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from captions import engine
from rooms import services
from rooms.models import Participant, Space
from tests.factories import UserFactory
from tests.rooms.conftest import on_stage, seat

pytestmark = pytest.mark.django_db

PERSONAS = ["host", "cohost", "speaker", "listener", "outsider", "anonymous"]
ALLOWED = {"host", "cohost"}
ONLY_MODERATORS = "Only the host and co-hosts can do this."


@pytest.fixture
def room(host):
    """A live Space with one person of each persona (the anonymous one has no account)."""
    space = services.space_create(host=host, title="Captioned show")
    people = {"host": host}
    for name in ("cohost", "speaker", "listener", "outsider"):
        people[name] = UserFactory(handle=name, display_name=name.title())
    on_stage(space, people["cohost"], Participant.Role.COHOST)
    on_stage(space, people["speaker"])
    seat(space, people["listener"])
    return space, people


def settings_event(space, **data) -> tuple[str, dict]:
    space.refresh_from_db()
    frame = {"type": "space.event", "event": "captions.settings", "seq": space.seq, "data": data}
    return (space.group_name, frame)


def switch(client, space, **data):
    """The page's switch as its script calls it (fetch, JSON answer)."""
    return client.post(
        f"/spaces/{space.code}/captions/", data, headers={"accept": "application/json"}
    )


def captions_of(space) -> tuple[bool, str]:
    space.refresh_from_db()
    return space.captions, space.captions_language


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_switch_is_for_the_host_and_cohosts_over_http(client, room, persona, capture_events):
    space, people = room
    if persona != "anonymous":
        client.force_login(people[persona])

    with capture_events() as events:
        response = switch(client, space, enabled="true", language="it")

    if persona in ALLOWED:
        assert (response.status_code, response.json()) == (
            200,
            {"enabled": True, "language": "it", "available": "it" in engine.languages()},
        )
        assert events == [settings_event(space, enabled=True, language="it")]
        assert captions_of(space) == (True, "it")
    else:
        assert (response.status_code, response.json()) == (
            403,
            {"detail": ONLY_MODERATORS, "code": "not_moderator"},
        )
        assert events == []
        assert captions_of(space) == (False, "en")


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_switch_is_for_the_host_and_cohosts_over_the_api(room, persona, capture_events):
    space, people = room
    api = APIClient()
    if persona != "anonymous":
        api.force_authenticate(people[persona])

    with capture_events() as events:
        response = api.patch(
            f"/api/spaces/{space.code}/captions/", {"enabled": True}, format="json"
        )

    if persona in ALLOWED:
        assert (response.status_code, response.json()) == (
            200,
            {"enabled": True, "language": "en", "available": "en" in engine.languages()},
        )
        assert events == [settings_event(space, enabled=True, language="en")]
        assert captions_of(space) == (True, "en")
    elif persona == "anonymous":
        assert response.status_code == 401  # who is not signed in must sign in
        assert events == []
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": ONLY_MODERATORS, "code": "not_moderator"}
        assert events == []
        assert captions_of(space) == (False, "en")


def test_turning_them_off_and_changing_the_language_each_send_one_event(
    client, room, capture_events
):
    space, people = room
    client.force_login(people["cohost"])
    switch(client, space, enabled="true")

    with capture_events() as events:
        off = switch(client, space, language="en")  # the box unchecked: off
        italian = switch(client, space, enabled="true", language="it")
        again = switch(client, space, enabled="true", language="it")  # nothing changes

    assert [off.json()["enabled"], italian.json()["language"], again.status_code] == [
        False,
        "it",
        200,
    ]
    space.refresh_from_db()
    seq = space.seq
    assert events == [
        (
            space.group_name,
            {
                "type": "space.event",
                "event": "captions.settings",
                "seq": seq - 1,
                "data": {"enabled": False, "language": "en"},
            },
        ),
        (
            space.group_name,
            {
                "type": "space.event",
                "event": "captions.settings",
                "seq": seq,
                "data": {"enabled": True, "language": "it"},
            },
        ),
    ]


def test_a_bad_language_is_a_400_with_a_reason(client, room, capture_events):
    space, people = room
    client.force_login(people["host"])

    with capture_events() as events:
        page = switch(client, space, enabled="true", language="klingon" * 10)
        api = APIClient()
        api.force_authenticate(people["host"])
        response = api.patch(
            f"/api/spaces/{space.code}/captions/", {"language": "fr"}, format="json"
        )

    assert (page.status_code, page.json()) == (
        400,
        {"detail": "Choose English or Italian.", "code": "bad_language"},
    )
    assert (response.status_code, response.json()["detail"], response.json()["code"]) == (
        400,
        "Choose English or Italian.",
        "bad_language",
    )
    assert events == []
    assert captions_of(space) == (False, "en")


def test_an_ended_space_cannot_change_its_captions(client, room, capture_events):
    space, people = room
    services.space_end(space=space, actor=people["host"])
    client.force_login(people["host"])
    api = APIClient()
    api.force_authenticate(people["host"])

    with capture_events() as events:
        page = switch(client, space, enabled="true")
        response = api.patch(f"/api/spaces/{space.code}/captions/", {"enabled": True})

    assert (page.status_code, page.json()) == (
        400,
        {"detail": "This Space has ended.", "code": "space_ended"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "space_ended")
    assert events == []
    assert captions_of(space)[0] is False


def test_an_unknown_space_is_a_404(client, host):
    client.force_login(host)
    assert switch(client, Space(code="nope"), enabled="true").status_code == 404


def test_the_switch_answers_htmx_with_the_controls(client, room):
    space, people = room
    client.force_login(people["host"])

    response = client.post(
        f"/spaces/{space.code}/captions/", {"enabled": "true"}, headers={"hx-request": "true"}
    )

    assert response.status_code == 200
    assert 'id="captions-enabled" role="switch" checked' in response.text
    assert f'action="/spaces/{space.code}/captions/">' in response.text  # shown, not hidden


def test_a_refused_htmx_switch_says_why_in_the_controls(client, room):
    space, people = room
    client.force_login(people["listener"])

    response = client.post(
        f"/spaces/{space.code}/captions/", {"enabled": "true"}, headers={"hx-request": "true"}
    )

    assert response.status_code == 403
    assert ONLY_MODERATORS in response.text
    assert 'role="switch" checked' not in response.text


def test_without_a_script_the_form_comes_back_to_the_room(client, room):
    space, people = room
    client.force_login(people["host"])

    response = client.post(f"/spaces/{space.code}/captions/", {"enabled": "true"}, follow=True)

    assert response.redirect_chain == [(f"/s/{space.code}/", 302)]
    assert "Captions are on." in response.text
    assert captions_of(space) == (True, "en")


def test_the_snapshot_has_the_captions_settings(client, room):
    space, people = room
    assert client.get(f"/spaces/{space.code}/state").json()["captions"] == {
        "enabled": False,
        "language": "en",
    }

    client.force_login(people["host"])
    switch(client, space, enabled="true", language="it")

    snapshot = client.get(f"/spaces/{space.code}/state").json()
    assert snapshot["captions"] == {"enabled": True, "language": "it"}
    assert APIClient().get(f"/api/spaces/{space.code}/").json()["captions"] == {
        "enabled": True,
        "language": "it",
    }


def test_the_room_has_the_captions_region_and_the_switch_for_moderators(client, room):
    space, people = room
    page = client.get(f"/s/{space.code}/").text
    assert 'id="captions"' in page
    assert 'id="captions-controls"' not in page  # anonymous: no switch at all

    client.force_login(people["host"])
    page = client.get(f"/s/{space.code}/").text
    assert 'id="captions-controls"' in page
    assert '<option value="it" lang="it">Italiano</option>' in page


def test_the_room_knows_which_languages_can_be_captioned(client, room, monkeypatch):
    space, _people = room
    monkeypatch.setattr(engine, "languages", lambda: {"en"}, raising=False)

    page = client.get(f"/s/{space.code}/").text

    assert 'data-languages="en"' in page
    assert "Captions in %(language)s need a configured speech model." in page


def test_the_api_says_when_a_language_cannot_be_captioned(room, monkeypatch):
    space, people = room
    monkeypatch.setattr(engine, "languages", lambda: {"en"}, raising=False)
    api = APIClient()
    api.force_authenticate(people["host"])

    response = api.patch(f"/api/spaces/{space.code}/captions/", {"language": "it"})

    assert response.json() == {"enabled": False, "language": "it", "available": False}


# The forms: the caption language, by default the host's own ---------------------------------


def test_a_space_goes_live_with_the_chosen_caption_language(client, host):
    client.force_login(host)
    form = client.get("/spaces/new/").text
    assert '<option value="en" selected>English</option>' in form

    client.post(
        "/spaces/new/",
        {
            "title": "In italiano",
            "speak_policy": "everyone",
            "captions": "on",
            "captions_language": "it",
        },
    )

    space = Space.objects.get()
    assert (space.captions, space.captions_language) == (True, "it")


def test_the_caption_language_defaults_to_the_hosts_language(client, db):
    italian = UserFactory(handle="giulia", language="it")
    client.force_login(italian)

    assert '<option value="it" selected>Italiano</option>' in client.get("/spaces/new/").text
    client.post("/spaces/new/", {"title": "Senza scelta", "speak_policy": "everyone"})

    assert Space.objects.get().captions_language == "it"


def test_a_bad_caption_language_is_a_form_error(client, host):
    client.force_login(host)

    response = client.post(
        "/spaces/new/",
        {"title": "Nope", "speak_policy": "everyone", "captions_language": "fr"},
    )

    assert "Select a valid choice." in response.text
    assert not Space.objects.exists()


def test_a_scheduled_space_keeps_its_caption_language(client, host):
    client.force_login(host)
    starts = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = client.get("/spaces/schedule/").text
    assert 'name="captions_language"' in form

    client.post(
        "/spaces/schedule/",
        {
            "title": "Later, in Italian",
            "starts_at": starts,
            "time_zone": "UTC",
            "speak_policy": "everyone",
            "captions": "on",
            "captions_language": "it",
        },
    )

    space = Space.objects.get()
    assert (space.state, space.captions, space.captions_language) == ("scheduled", True, "it")
