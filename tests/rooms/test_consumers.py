import json
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from core.events import group_send
from rooms import selectors, services
from rooms.consumers import SpaceConsumer
from rooms.models import Participant
from spaces_site.asgi import application
from tests.clock import cache_clock
from tests.factories import UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def _session_for(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@database_sync_to_async
def _live_space():
    host = UserFactory(handle="host")
    return host, services.space_create(host=host, title="Live now")


async def _socket(code, user=None):
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await _session_for(user)}".encode()))
    socket = WebsocketCommunicator(application, f"/ws/spaces/{code}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _next(socket, kind, timeout=3):
    """The next frame of this type, skipping others."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def test_an_anonymous_visitor_is_counted_not_listed_and_the_host_hears_of_it():
    host, space = await _live_space()
    host_page = await _socket(space.code, host)
    await _next(host_page, "snapshot")

    anonymous = await _socket(space.code)
    snapshot = await _next(anonymous, "snapshot")

    assert snapshot["counts"] == {"total": 2, "listed": 1}
    assert snapshot["listeners"] == []
    assert [p["handle"] for p in snapshot["stage"]] == ["host"]
    count = await _next(host_page, "audience.count")
    assert count["counts"] == {"total": 2, "listed": 1}
    await anonymous.disconnect()
    await host_page.disconnect()


async def test_an_unknown_space_is_refused_with_a_reason():
    socket = await _socket("nope123")

    assert await socket.receive_json_from() == {
        "type": "error",
        "code": "space_not_found",
        "message": "There is no Space at this link.",
    }
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4404}


async def test_an_ended_space_is_refused_with_a_reason():
    host, space = await _live_space()
    await database_sync_to_async(services.space_end)(space=space, actor=host)

    socket = await _socket(space.code)

    frame = await socket.receive_json_from()
    assert (frame["code"], frame["message"]) == ("space_ended", "This Space has ended.")
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4410}


async def test_a_raised_hand_approved_reaches_every_page():
    host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    host_page = await _socket(space.code, host)
    listener_page = await _socket(space.code, listener)
    anonymous = await _socket(space.code)
    me = (await _next(listener_page, "snapshot"))["me"]

    await listener_page.send_json_to({"type": "hand.raise"})
    hands = await _next(host_page, "hands.raised")
    assert [p["handle"] for p in hands["hands"]] == ["listener"]
    await host_page.send_json_to({"type": "request.approve", "participant": me["id"]})

    for page in (listener_page, anonymous, host_page):
        added = await _next(page, "stage.speaker_added")
        assert [(p["handle"], p["role"]) for p in added["stage"]] == [
            ("host", "host"),
            ("listener", "speaker"),
        ]
    for page in (host_page, listener_page, anonymous):
        await page.disconnect()


async def test_the_wrong_role_gets_an_error_frame_and_the_socket_stays_usable():
    host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    page = await _socket(space.code, listener)
    await _next(page, "snapshot")
    host_seat = await database_sync_to_async(Participant.objects.get)(space=space, user=host)

    await page.send_json_to({"type": "speaker.mute", "participant": host_seat.pk})
    error = await _next(page, "error")
    await page.send_json_to({"type": "ping"})

    assert error == {
        "type": "error",
        "code": "not_moderator",
        "message": "Only the host and co-hosts can do this.",
        "for": "speaker.mute",
    }
    assert await _next(page, "pong") == {"type": "pong"}
    await page.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{oops", "bad_json"),
        ('{"type": "teleport"}', "unknown_type"),
        ('["react"]', "unknown_type"),
        ('{"type": ["react"]}', "unknown_type"),
        ('{"type": "react", "emoji": "' + "x" * 5000 + '"}', "bad_frame"),
        ('{"type": "react", "emoji": "🍕"}', "bad_reaction"),
        ('{"type": "hand.raise"}', "sign_in_required"),
    ],
)
async def test_bad_frames_get_error_codes(frame, code):
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_to(text_data=frame)

    assert (await _next(page, "error"))["code"] == code
    await page.disconnect()


async def test_reactions_are_coalesced_into_one_batch():
    host, space = await _live_space()
    host_page = await _socket(space.code, host)
    anonymous = await _socket(space.code)
    await _next(anonymous, "snapshot")

    for _ in range(3):
        await anonymous.send_json_to({"type": "react", "emoji": "👏"})
    await anonymous.send_json_to({"type": "react", "emoji": "❤️"})

    batch = await _next(host_page, "reactions.batch")
    assert batch["counts"] == {"👏": 3, "❤️": 1}
    await host_page.disconnect()
    await anonymous.disconnect()


async def test_a_flood_is_refused_then_closed_with_4429(monkeypatch):
    cache_clock(monkeypatch)  # the whole flood in one window, however slow the machine
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    for _ in range(60):
        await page.send_json_to({"type": "react", "emoji": "👏"})

    errors = 0
    while True:
        output = await page.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        if '"rate_limited"' in output.get("text", ""):
            errors += 1
    assert (errors, output["code"]) == (10, 4429)


async def test_a_removed_listener_hears_it_and_is_disconnected():
    host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    host_page = await _socket(space.code, host)
    listener_page = await _socket(space.code, listener)
    me = (await _next(listener_page, "snapshot"))["me"]

    await host_page.send_json_to({"type": "participant.remove", "participant": me["id"]})

    removed = await _next(listener_page, "participant.removed")
    assert removed["participant_id"] == me["id"]
    assert await listener_page.receive_output() == {"type": "websocket.close", "code": 4403}
    await host_page.disconnect()


async def test_a_new_speakers_reactions_float_over_their_avatar():
    host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    host_page = await _socket(space.code, host)
    listener_page = await _socket(space.code, listener)
    me = (await _next(listener_page, "snapshot"))["me"]
    await listener_page.send_json_to({"type": "hand.raise"})
    await _next(host_page, "hands.raised")
    await host_page.send_json_to({"type": "request.approve", "participant": me["id"]})
    await _next(listener_page, "stage.speaker_added")

    await listener_page.send_json_to({"type": "react", "emoji": "🙏"})

    batch = await _next(host_page, "reactions.batch")
    assert batch["reactors"] == {str(me["id"]): "🙏"}
    await host_page.disconnect()
    await listener_page.disconnect()


async def test_a_page_whose_seat_was_let_go_takes_it_back_on_its_next_heartbeat():
    _host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    page = await _socket(space.code, listener)
    me = (await _next(page, "snapshot"))["me"]
    # The page went silent for over 30 s (a throttled tab): the sweep lets its seat go.
    await database_sync_to_async(Participant.objects.filter(pk=me["id"]).update)(
        last_seen_at=timezone.now() - timedelta(minutes=1)
    )
    assert await database_sync_to_async(services.presence_sweep)() == 1

    await page.send_json_to({"type": "ping"})

    snapshot = await _next(page, "snapshot")
    assert snapshot["me"]["id"] == me["id"]
    assert [p["handle"] for p in snapshot["listeners"]] == ["listener"]
    assert snapshot["media"] == {"ice_servers": []}
    assert await _next(page, "pong") == {"type": "pong"}
    seat = await database_sync_to_async(Participant.objects.get)(pk=me["id"])
    assert seat.left_at is None
    await page.send_json_to({"type": "hand.raise"})
    hands = await _next(page, "hands.raised")
    assert [p["handle"] for p in hands["hands"]] == ["listener"]
    await page.disconnect()


async def test_an_event_committed_while_the_snapshot_is_read_reaches_the_page(monkeypatch):
    host, space = await _live_space()
    read_snapshot = selectors.space_snapshot

    def snapshot_then_policy_change(space, participant):
        body = read_snapshot(space, participant)
        # The host acts right after this page's snapshot was read.
        services.speak_policy_set(space=space, actor=host, policy="invited")
        return body

    monkeypatch.setattr(selectors, "space_snapshot", snapshot_then_policy_change)
    page = await _socket(space.code)
    snapshot = await _next(page, "snapshot")

    changed = await _next(page, "space.policy_changed")

    assert (snapshot["speak_policy"], changed["speak_policy"]) == ("everyone", "invited")
    assert changed["seq"] == snapshot["seq"] + 1
    await page.disconnect()


async def test_each_offer_gets_fresh_turn_credentials(settings):
    settings.TURN_SECRET = "s3cret"
    settings.TURN_URLS = ["turn:turn.example:3478"]
    settings.TURN_TTL = 600
    _host, space = await _live_space()
    page = await _socket(space.code)
    me = (await _next(page, "snapshot"))["me"]
    before = int(time.time())

    await page.send_json_to({"type": "media.ice", "id": 7})

    reply = await _next(page, "media.ice")
    assert reply["id"] == 7
    [turn] = reply["ice_servers"]
    expiry, identity = turn["username"].split(":")
    assert identity == f"p{me['id']}"
    assert before + 600 <= int(expiry) <= int(time.time()) + 600
    assert turn["urls"] == ["turn:turn.example:3478"]
    assert turn["credential"]
    await page.send_json_to({"type": "media.ice", "id": "x"})
    assert (await _next(page, "media.ice"))["id"] is None
    await page.disconnect()


async def test_a_page_of_a_scheduled_space_waits_without_a_seat_until_the_start():
    host = await database_sync_to_async(UserFactory)(handle="host")
    space = await database_sync_to_async(services.space_create)(
        host=host, title="Later", start_now=False
    )
    page = await _socket(space.code)

    assert await page.receive_json_from() == {"type": "space.waiting", "state": "scheduled"}
    await page.send_json_to({"type": "ping"})
    assert await page.receive_json_from() == {"type": "pong"}
    await page.send_json_to({"type": "hand.raise"})
    error = await page.receive_json_from()
    assert (error["code"], error["for"]) == ("space_not_live", "hand.raise")
    assert await database_sync_to_async(Participant.objects.filter(space=space).count)() == 0

    await database_sync_to_async(services.space_start)(space=space, actor=host)

    started = await _next(page, "space.started")
    assert started["state"] == "live"
    assert await page.receive_output() == {"type": "websocket.close", "code": 1000}
    assert await database_sync_to_async(Participant.objects.filter(space=space).count)() == 1


@pytest.mark.parametrize("event", ["space.cancelled", "space.not_held"])
async def test_a_waiting_page_hears_that_the_space_will_not_happen(event):
    host = await database_sync_to_async(UserFactory)(handle="host")
    space = await database_sync_to_async(services.space_create)(
        host=host, title="Later", start_now=False
    )
    page = await _socket(space.code)
    await _next(page, "space.waiting")
    state = event.removeprefix("space.")

    await database_sync_to_async(group_send)(
        space.group_name,
        {"type": "space.event", "event": event, "seq": 1, "data": {"state": state}},
    )

    frame = await page.receive_json_from()
    assert isinstance(frame.pop("at"), float)  # when, on the server's clock
    assert frame == {"type": event, "seq": 1, "state": state}
    assert await page.receive_output() == {"type": "websocket.close", "code": 4410}


async def test_a_removed_person_cannot_come_back_through_the_socket():
    host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    page = await _socket(space.code, listener)
    me = (await _next(page, "snapshot"))["me"]
    await database_sync_to_async(services.participant_remove)(
        space=space, actor=host, participant_id=me["id"]
    )
    await _next(page, "participant.removed")

    again = await _socket(space.code, listener)

    assert await again.receive_json_from() == {
        "type": "error",
        "code": "removed",
        "message": "You were removed from this Space.",
    }
    assert await again.receive_output() == {"type": "websocket.close", "code": 4403}


async def test_a_consumer_that_fails_on_an_event_leaves_the_channel_layer(monkeypatch):
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")
    layer = get_channel_layer()
    group = f"asgi__group__{space.group_name}"
    [channel] = layer.groups[group]

    async def fails(consumer, event):
        raise RuntimeError("a bug in an event handler")

    monkeypatch.setattr(SpaceConsumer, "space_event", fails)
    await database_sync_to_async(group_send)(
        space.group_name, {"type": "space.event", "event": "pins.changed", "seq": 9, "data": {}}
    )
    with pytest.raises(RuntimeError):
        await page.receive_output(timeout=3)

    # Otherwise the process keeps a queue filling with every later event of the room.
    assert channel not in layer.channels
    assert group not in layer.groups


async def test_a_heartbeat_crossing_the_end_closes_the_page_without_an_error():
    host, space = await _live_space()
    listener = await database_sync_to_async(UserFactory)(handle="listener")
    page = await _socket(space.code, listener)
    await _next(page, "snapshot")
    await database_sync_to_async(services.space_end)(space=space, actor=host)

    await page.send_json_to({"type": "ping"})

    frames = []
    while (output := await page.receive_output(timeout=3))["type"] != "websocket.close":
        frames.append(json.loads(output["text"])["type"])
    assert "error" not in frames
    assert output["code"] == 4410
