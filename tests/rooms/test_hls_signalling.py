"""A listener past the WebRTC cap (or on a saturated media server) is sent to HLS: the
media server's `listeners_full` becomes a `media.hls` frame with the live stream's URL."""

import pytest
from channels.db import database_sync_to_async

from core.events import group_send
from mediaserver.base import ListenersFull
from tests.factories import UserFactory
from tests.rooms.test_consumers import _live_space, _next, _socket
from tests.rooms.test_media_signalling import OFFER

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("reason", ["cap", "saturated"])
async def test_a_listener_refused_for_lack_of_room_is_sent_to_hls(media, reason):
    media.refuse = ListenersFull(reason)
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": False, "id": 3})

    frame = await _next(page, "media.hls")
    assert frame == {
        "type": "media.hls",
        "url": f"/spaces/{space.code}/hls/live.m3u8",
        "reason": reason,
        "id": 3,
    }
    assert len(media.commands("listener_offer")) == 1
    await page.disconnect()


async def test_an_unknown_reason_still_sends_the_listener_to_hls(media):
    media.refuse = ListenersFull("")
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": False})

    assert (await _next(page, "media.hls"))["reason"] == "cap"
    await page.disconnect()


async def test_a_speaker_is_never_sent_to_hls(media):
    # The media server never refuses a speaker for it; should one say so anyway, the page
    # hears an error (and retries), not HLS, which cannot carry a microphone.
    media.refuse = ListenersFull("cap")
    host, space = await _live_space()
    page = await _socket(space.code, host)
    await _next(page, "snapshot")

    await page.send_json_to({"type": "media.offer", "sdp": OFFER, "publish": True})

    error = await _next(page, "error")
    assert (error["code"], error["for"]) == ("listeners_full", "media.offer")
    await page.disconnect()


async def test_room_events_carry_when_they_happened(media):
    host, space = await _live_space()
    page = await _socket(space.code, await database_sync_to_async(UserFactory)())
    await _next(page, "snapshot")
    hosts_page = await _socket(space.code, host)
    await _next(hosts_page, "snapshot")

    await page.send_json_to({"type": "hand.raise"})

    frame = await _next(hosts_page, "hands.raised")
    assert isinstance(frame["at"], float)
    await page.disconnect()
    await hosts_page.disconnect()


async def test_a_page_gets_the_events_own_time_not_when_its_socket_forwarded_it(media):
    """`at` comes with the event (rooms.events): the fan-out's delay does not move it."""
    _host, space = await _live_space()
    page = await _socket(space.code)
    await _next(page, "snapshot")

    await database_sync_to_async(group_send)(
        space.group_name,
        {"type": "space.event", "event": "pins.changed", "seq": 99, "data": {}, "at": 1000.5},
    )

    frame = await _next(page, "pins.changed")
    assert frame["at"] == 1000.5
    await page.disconnect()
