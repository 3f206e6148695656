"""Offers and answers on the room's socket, and the commands services send the media server.

Django checks roles before any media permission; these tests use a recording backend.
"""

import json
import time

import pytest
from channels.db import database_sync_to_async

from mediaserver import signals as media_signals
from mediaserver.base import MediaError
from rooms import services
from rooms.errors import SpaceError
from rooms.models import Participant
from tests.factories import UserFactory
from tests.rooms.test_consumers import _live_space, _next, _socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

OFFER = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"


@database_sync_to_async
def _seat(space, user):
    return Participant.objects.get(space=space, user=user)


@database_sync_to_async
def _call(service, **kwargs):
    return service(**kwargs)


async def test_a_listener_gets_an_answer_for_a_receive_only_offer(media):
    _host, space = await _live_space()
    listener = await _socket(space.code)
    await _next(listener, "snapshot")

    await listener.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": False, "id": 7})

    answer = await _next(listener, "media.answer")
    [offer] = media.commands("listener_offer")
    assert answer == {
        "type": "media.answer",
        "sdp": f"v=0 answer for {offer['session']}",
        "publish": False,
        "id": 7,
    }
    assert offer["space_id"] == space.pk
    assert offer["sdp"] == OFFER
    await listener.disconnect()
    assert media.commands("session_close") == [{"space_id": space.pk, "session": offer["session"]}]


async def test_a_listener_may_not_publish_and_the_media_server_never_hears_of_it(media):
    _host, space = await _live_space()
    listener = await _socket(space.code, await database_sync_to_async(UserFactory)())
    await _next(listener, "snapshot")

    await listener.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": True})

    error = await _next(listener, "error")
    assert error["code"] == "not_on_stage"
    assert error["message"] == "Only people on the stage can speak."
    assert error["for"] == "media.offer"
    assert media.calls == []
    await listener.disconnect()


async def test_the_host_publishes_muted_as_the_database_says(media):
    host, space = await _live_space()
    page = await _socket(space.code, host)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": True})
    await _next(page, "media.answer")
    await _call(services.self_mute_set, participant=await _seat(space, host), muted=False)
    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": True})
    await _next(page, "media.answer")

    first, second = media.commands("speaker_offer")
    assert (first["muted"], second["muted"]) == (True, False)
    # The second offer replaced the first connection.
    assert {"space_id": space.pk, "session": first["session"]} in media.commands("session_close")
    assert media.commands("mute")[-1] == {
        "space_id": space.pk,
        "participant_id": (await _seat(space, host)).pk,
        "muted": False,
    }
    await page.disconnect()


@pytest.mark.parametrize("sdp", [None, "", 42, "not an sdp", ["v=0"]])
async def test_an_offer_that_is_not_sdp_gets_an_error(media, sdp):
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": sdp})

    error = await _next(page, "error")
    assert (error["code"], error["for"]) == ("bad_sdp", "media.offer")
    assert error["message"] == "This offer is not a valid session description."
    assert media.calls == []
    await page.disconnect()


async def test_the_media_servers_refusal_reaches_the_browser(media):
    media.refuse = MediaError("The offer has no audio.", "bad_sdp")
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": OFFER})

    error = await _next(page, "error")
    assert (error["code"], error["message"]) == ("bad_sdp", "The offer has no audio.")
    await page.disconnect()


async def test_a_media_server_that_is_down_gets_a_clear_error_and_the_room_goes_on(media):
    media.down = True
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "id": 3})

    error = await _next(page, "error")
    assert (error["code"], error["for"], error["id"]) == ("media_unavailable", "media.offer", 3)
    assert error["message"] == "Live audio is unavailable right now. Trying again…"
    await page.send_json_to({"type": "react", "emoji": "👏"})
    batch = await _next(page, "reactions.batch")
    assert batch["counts"] == {"👏": 1}
    await page.disconnect()


async def test_an_offer_for_an_ended_space_is_refused(media):
    host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")
    await _call(services.space_end, space=space, actor=host)
    await _next(page, "space.ended")

    # The server closes the socket on the end; a late offer on a socket still open is
    # refused the same way an offer through a fresh connection is.
    participant = await database_sync_to_async(Participant.objects.filter(space=space).first)()
    with pytest.raises(SpaceError) as refused:
        await _call(services.media_access, participant=participant, publish=False)
    assert (refused.value.code, refused.value.message) == ("space_ended", "This Space has ended.")
    assert media.commands("close_room") == [{"space_id": space.pk}]


async def test_signalling_floods_are_rate_limited(media):
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    for _ in range(14):
        await page.send_json_to({"type": "media.offer", "sdp": OFFER})
    codes = []
    for _ in range(14):
        frame = await page.receive_json_from(timeout=3)
        while frame["type"] not in ("media.answer", "error"):
            frame = await page.receive_json_from(timeout=3)
        codes.append(frame.get("code", frame["type"]))
    assert codes.count("rate_limited") == 2
    assert len(media.commands("listener_offer")) <= 12
    await page.disconnect()


async def test_frames_other_than_offers_are_still_limited_to_4_kb(media):
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_to(text_data=json.dumps({"type": "react", "emoji": "x" * 5000}))

    error = await _next(page, "error")
    assert error["code"] == "bad_frame"
    await page.disconnect()


async def test_speaking_events_reach_every_page(media):
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    # As `runmedia` says it; rooms.receivers puts it on the Space's group.
    before = time.time()
    await media_signals.speaking.asend(sender=None, space_id=space.pk, speaking=[5, 9])

    frame = await _next(page, "speaking")
    # `at`: when, on the server's clock (pages listening over HLS show it that late).
    at = frame.pop("at")
    assert frame == {"type": "speaking", "speaking": [5, 9]}
    assert before - 0.01 <= at <= time.time() + 0.001  # to the millisecond
    await page.disconnect()


async def test_the_snapshot_carries_ice_servers_with_turn_credentials(media, settings):
    settings.MEDIA_ICE_SERVERS = [{"urls": ["stun:stun.example.test:3478"]}]
    settings.TURN_SECRET = "s3cret"
    settings.TURN_URLS = ["turn:turn.example.test:3478?transport=udp"]
    _host, space = await _live_space()
    page = await _socket(space.code)

    snapshot = await _next(page, "snapshot")

    stun, turn = snapshot["media"]["ice_servers"]
    assert stun == {"urls": ["stun:stun.example.test:3478"]}
    _expiry, identity = turn["username"].split(":")
    assert identity == f"p{snapshot['me']['id']}"
    assert turn["credential"]
    await page.disconnect()


async def test_a_speaker_moved_off_the_stage_is_hung_up_by_their_own_socket_too(media):
    host, space = await _live_space()
    guest = await database_sync_to_async(UserFactory)()
    page = await _socket(space.code, guest)
    await _next(page, "snapshot")
    seat = await _seat(space, guest)
    await _call(services.cohost_add, space=space, actor=host, participant_id=seat.pk)
    await _next(page, "stage.cohost_added")
    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": True})
    await _next(page, "media.answer")
    [offer] = media.commands("speaker_offer")

    await _call(services.cohost_remove, space=space, actor=host, participant_id=seat.pk)
    await _next(page, "stage.cohost_removed")
    await page.send_json_to({"type": "ping"})
    await _next(page, "pong")

    assert {"space_id": space.pk, "session": offer["session"]} in media.commands("session_close")
    await page.disconnect()
