"""Every moderation action × every persona, over HTTP (the API) and over the WebSocket."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import block_create
from rooms import access, selectors, services
from rooms.models import Participant, PinnedTweet, Space, SpaceBan
from spaces_site.asgi import application
from tests.factories import TweetFactory, UserFactory
from tests.rooms.conftest import on_stage, seat

PERSONAS = ["host", "cohost", "speaker", "listener", "anonymous", "outsider", "banned", "blocked"]
# action: (API path suffix, WebSocket frame, which target, personas allowed)
ACTIONS = {
    "end": ("end/", {"type": "space.end"}, None, {"host"}),
    "approve": (
        "participants/{hand}/approve/",
        {"type": "request.approve"},
        "hand",
        {"host", "cohost"},
    ),
    "decline": (
        "participants/{hand}/decline/",
        {"type": "request.decline"},
        "hand",
        {"host", "cohost"},
    ),
    "invite": (
        "participants/{hand}/invite/",
        {"type": "speaker.invite"},
        "hand",
        {"host", "cohost"},
    ),
    "demote": (
        "participants/{talker}/demote/",
        {"type": "speaker.demote"},
        "talker",
        {"host", "cohost"},
    ),
    "mute": ("participants/{talker}/mute/", {"type": "speaker.mute"}, "talker", {"host", "cohost"}),
    "remove": (
        "participants/{hand}/remove/",
        {"type": "participant.remove"},
        "hand",
        {"host", "cohost"},
    ),
    "ban": (
        "participants/{hand}/ban/",
        {"type": "participant.remove", "ban": True},
        "hand",
        {"host", "cohost"},
    ),
    "cohost": ("participants/{hand}/cohost/", {"type": "cohost.add"}, "hand", {"host"}),
    "pin": ("pins/", {"type": "pin.add"}, "tweet", {"host", "cohost"}),
    "policy": ("", {"type": "policy.set", "policy": "invited"}, None, {"host", "cohost"}),
}
CASES = [(action, persona) for action in ACTIONS for persona in PERSONAS]


def _room():
    """A live Space with one person of each persona, a raised hand and a speaker to act on."""
    people = {name: UserFactory(handle=name) for name in PERSONAS if name != "anonymous"}
    space = services.space_create(host=people["host"], title="Authorisation")
    on_stage(space, people["cohost"], Participant.Role.COHOST)
    on_stage(space, people["speaker"])
    seat(space, people["listener"])
    banned = seat(space, people["banned"])
    services.participant_remove(
        space=space, actor=people["host"], participant_id=banned.pk, ban=True
    )
    block_create(blocker=people["host"], blocked=people["blocked"])
    hand = seat(space, UserFactory(handle="hand"))
    services.hand_raise(participant=hand)
    talker = on_stage(space, UserFactory(handle="talker"))
    targets = {"hand": hand.pk, "talker": talker.pk, "tweet": TweetFactory().pk}
    return space, people, targets


def _fingerprint(space):
    """Everything a moderation action could change."""
    space = Space.objects.get(pk=space.pk)
    seats = sorted(
        selectors.present(space).values_list(
            "user__handle", "role", "muted_by_host", "hand_raised_at", "invited_at"
        ),
        key=str,
    )
    return (space.state, space.speak_policy, seats, PinnedTweet.objects.count())


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "persona"), CASES)
def test_http(action, persona):
    space, people, targets = _room()
    suffix, _frame, _target, allowed = ACTIONS[action]
    client = APIClient()
    if persona != "anonymous":
        client.force_authenticate(people[persona])
    before = _fingerprint(space)
    url = f"/api/spaces/{space.code}/{suffix.format(**targets)}"

    if action == "policy":
        response = client.patch(url, {"speak_policy": "invited"}, format="json")
    elif action == "pin":
        response = client.post(url, {"tweet": targets["tweet"]}, format="json")
    else:
        response = client.post(url)

    if persona in allowed:
        assert response.status_code == 200, response.content
        assert _fingerprint(space) != before
    else:
        # Who is not signed in must sign in (401); who is, may not (403).
        assert response.status_code == (401 if persona == "anonymous" else 403), response.content
        assert response.json()["detail"]
        assert _fingerprint(space) == before


@database_sync_to_async
def _cookie(user):
    if user is None:
        return None
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("action", "persona"), CASES)
async def test_websocket(action, persona):
    space, people, targets = await database_sync_to_async(_room)()
    _suffix, frame, target, allowed = ACTIONS[action]
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    cookie = await _cookie(people.get(persona))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    socket = WebsocketCommunicator(application, f"/ws/spaces/{space.code}/", headers=headers)
    await socket.connect()
    first = await socket.receive_json_from()
    if persona in ("banned", "blocked"):
        assert (first["type"], first["code"]) == ("error", persona)
        assert (await socket.receive_output())["code"] == 4403
        return
    assert first["type"] == "snapshot"
    before = await database_sync_to_async(_fingerprint)(space)
    frame = dict(frame)
    if target == "tweet":
        frame["tweet"] = targets["tweet"]
    elif target:
        frame["participant"] = targets[target]

    await socket.send_json_to(frame)
    await socket.send_json_to({"type": "ping"})
    replies = []
    while True:
        output = await socket.receive_output(timeout=3)
        if output["type"] == "websocket.close" or '"pong"' in output.get("text", ""):
            break
        replies.append(output["text"])

    after = await database_sync_to_async(_fingerprint)(space)
    errors = [r for r in replies if '"type": "error"' in r]
    if persona in allowed:
        assert errors == []
        assert after != before
    else:
        assert len(errors) == 1
        assert after == before
    await socket.disconnect()


# The one rule for who is kept away from a host's Spaces (rooms.access) --------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "shut", "listens"),
    [
        ("listener", "", True),
        ("outsider", "", True),
        ("anonymous", "", True),
        ("banned", "banned", False),
        ("blocked", "blocked", False),
        ("blocking", "blocked", False),
        ("removed", "", False),
    ],
)
def test_shut_out_and_may_listen_say_the_same_as_joining(persona, shut, listens):
    host = UserFactory()
    space = services.space_create(host=host, title="Rules")
    person = None if persona == "anonymous" else UserFactory()
    if persona == "listener":
        seat(space, person)
    elif persona == "banned":
        SpaceBan.objects.create(host=host, user=person)
    elif persona == "blocked":
        block_create(blocker=host, blocked=person)
    elif persona == "blocking":
        block_create(blocker=person, blocked=host)
    elif persona == "removed":
        removed = seat(space, person)
        services.participant_remove(space=space, actor=host, participant_id=removed.pk)
    user = person or AnonymousUser()

    assert access.shut_out(host, user) == shut
    assert access.may_listen(space, user=user) is listens
    assert selectors.hosts_shutting_out(user, [host.pk, UserFactory().pk]) == (
        {host.pk} if shut else set()
    )


@pytest.mark.django_db
def test_an_anonymous_browser_removed_may_not_listen():
    host = UserFactory()
    space = services.space_create(host=host, title="Rules")
    removed = services.space_join(space=space, anon_id="browser-1")
    services.participant_remove(space=space, actor=host, participant_id=removed.pk)

    assert not access.may_listen(space, user=AnonymousUser(), anon_id="browser-1")
    assert access.may_listen(space, user=AnonymousUser(), anon_id="browser-2")
