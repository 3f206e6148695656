"""What one client can do to a room through its sockets: rate limits per person (not per
connection), a cap on anonymous sockets per address, no session per cookie-less socket,
and bad JSON of any depth answered, not fatal."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from rooms import selectors, services
from rooms.models import Participant
from spaces_site.asgi import application
from tests.clock import cache_clock
from tests.factories import UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

DEEP_JSON = "[" * 1500 + "]" * 1500  # 3 KB, deeper than Python's JSON decoder goes


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The rate-limit windows stand still (tests/clock.py): a burst falls in one window
    however slowly the machine sends it, and a window ends when the test moves the clock."""
    return cache_clock(monkeypatch)


@database_sync_to_async
def _live_space():
    host = UserFactory(handle="host")
    return host, services.space_create(host=host, title="Live now")


@database_sync_to_async
def _signed_in_cookie(handle):
    client = Client()
    client.force_login(UserFactory(handle=handle))
    return f"sessionid={client.cookies['sessionid'].value}"


@database_sync_to_async
def _browser_cookie(space):
    """The cookie of a browser that opened the Space's page anonymously."""
    client = Client()
    client.get(f"/s/{space.code}/")
    return f"sessionid={client.cookies['sessionid'].value}"


def _communicator(path, cookie=None, address="203.0.113.7"):
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    socket = WebsocketCommunicator(application, path, headers=headers)
    socket.scope["client"] = (address, 50000)
    return socket


async def _room(space, cookie=None, address="203.0.113.7"):
    socket = _communicator(f"/ws/spaces/{space.code}/", cookie, address)
    assert (await socket.connect())[0]
    return socket


async def _next(socket, kind, timeout=3):
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def _frames_until_close(socket):
    frames = []
    while True:
        output = await socket.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return frames, output["code"]
        frames.append(output["text"])


def _count(frames, code):
    return sum(f'"code": "{code}"' in frame for frame in frames)


# Bad JSON ---------------------------------------------------------------------------------


async def test_deeply_nested_json_on_a_room_socket_is_bad_json_and_the_socket_stays():
    _host, space = await _live_space()
    page = await _room(space)
    await _next(page, "snapshot")

    await page.send_to(text_data=DEEP_JSON)

    assert await _next(page, "error") == {
        "type": "error",
        "code": "bad_json",
        "message": "This frame is not valid JSON.",
    }
    await page.send_json_to({"type": "ping"})
    assert await _next(page, "pong") == {"type": "pong"}
    await page.disconnect()


async def test_deeply_nested_json_on_ws_me_is_bad_json_and_the_socket_stays():
    page = _communicator("/ws/me/", await _signed_in_cookie("alice"))
    assert (await page.connect())[0]

    await page.send_to(text_data=DEEP_JSON)

    assert await page.receive_json_from() == {
        "type": "error",
        "code": "bad_json",
        "message": "This frame is not valid JSON.",
    }
    await page.send_json_to({"type": "ping"})
    assert await page.receive_json_from() == {"type": "pong"}
    await page.disconnect()


# Rate limits per person ------------------------------------------------------------------


async def test_reconnecting_does_not_reset_a_signed_in_persons_hand_raises():
    _host, space = await _live_space()
    cookie = await _signed_in_cookie("listener")
    first = await _room(space, cookie)
    await _next(first, "snapshot")
    for _ in range(3):
        await first.send_json_to({"type": "hand.raise"})
        await first.send_json_to({"type": "hand.lower"})
    await first.send_json_to({"type": "ping"})
    await _next(first, "pong")
    await first.disconnect()

    again = await _room(space, cookie, address="198.51.100.9")
    await _next(again, "snapshot")
    await again.send_json_to({"type": "hand.raise"})

    error = await _next(again, "error")
    assert (error["code"], error["for"]) == ("rate_limited", "hand.raise")
    hands = await database_sync_to_async(lambda: list(selectors.hands(space)))()
    assert hands == []
    await again.disconnect()


async def test_a_cookieless_client_gets_no_new_allowance_per_socket():
    _host, space = await _live_space()
    first = await _room(space)
    await _next(first, "snapshot")
    for _ in range(15):
        await first.send_json_to({"type": "react", "emoji": "👏"})
    await first.send_json_to({"type": "ping"})
    await _next(first, "pong")

    second = await _room(space)
    await _next(second, "snapshot")
    await second.send_json_to({"type": "react", "emoji": "👏"})

    error = await _next(second, "error")
    assert (error["code"], error["for"]) == ("rate_limited", "react")
    await first.disconnect()
    await second.disconnect()


async def test_browsers_are_limited_each_and_their_address_as_a_whole():
    _host, space = await _live_space()
    one = await _room(space, await _browser_cookie(space))
    other = await _room(space, await _browser_cookie(space))
    await _next(one, "snapshot")
    await _next(other, "snapshot")

    for _ in range(15):
        await one.send_json_to({"type": "react", "emoji": "👏"})
    await one.send_json_to({"type": "react", "emoji": "👏"})
    await other.send_json_to({"type": "react", "emoji": "👏"})
    await other.send_json_to({"type": "ping"})

    assert (await _next(one, "error"))["code"] == "rate_limited"
    assert await _next(other, "pong") == {"type": "pong"}  # no error before it
    await one.disconnect()
    await other.disconnect()


async def test_the_allowance_comes_back_when_the_window_ends(clock):
    _host, space = await _live_space()
    page = await _room(space)
    await _next(page, "snapshot")
    for _ in range(16):  # reactions: 15 per 3 s
        await page.send_json_to({"type": "react", "emoji": "👏"})
    assert (await _next(page, "error"))["for"] == "react"

    clock.advance(2.9)
    await page.send_json_to({"type": "react", "emoji": "👏"})
    assert (await _next(page, "error"))["for"] == "react"  # the same window
    clock.advance(0.1)
    await page.send_json_to({"type": "react", "emoji": "👏"})
    await page.send_json_to({"type": "ping"})

    frames = []
    while '"pong"' not in (frames or [""])[-1]:
        frames.append((await page.receive_output(timeout=3))["text"])
    assert _count(frames, "rate_limited") == 0
    await page.disconnect()


async def test_frames_that_get_errors_count_and_a_flood_of_them_is_closed():
    _host, space = await _live_space()
    page = await _room(space)
    await _next(page, "snapshot")

    for _ in range(40):
        await page.send_to(text_data="{oops")

    frames, code = await _frames_until_close(page)
    assert (_count(frames, "bad_json"), _count(frames, "rate_limited"), code) == (20, 10, 4429)


async def test_pings_on_ws_me_are_limited_per_person_across_sockets():
    cookie = await _signed_in_cookie("alice")
    page = _communicator("/ws/me/", cookie)
    assert (await page.connect())[0]

    for _ in range(40):
        await page.send_json_to({"type": "ping"})

    frames, code = await _frames_until_close(page)
    assert (_count(frames, "rate_limited"), code) == (10, 4429)
    assert frames.count('{"type": "pong"}') == 20
    again = _communicator("/ws/me/", cookie)
    assert (await again.connect())[0]
    await again.send_json_to({"type": "ping"})
    assert await again.receive_json_from() == {
        "type": "error",
        "code": "rate_limited",
        "message": "Slow down: too many frames.",
    }
    await again.disconnect()


async def test_reconnecting_in_a_loop_is_refused():
    _host, space = await _live_space()
    for _ in range(30):
        socket = await _room(space)
        await _next(socket, "snapshot")
        await socket.disconnect()

    socket = await _room(space)

    assert await socket.receive_json_from() == {
        "type": "error",
        "code": "rate_limited",
        "message": "Too many connections: wait a minute and reload the page.",
    }
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4429}


# Anonymous sockets per address -----------------------------------------------------------


async def test_one_address_holds_a_capped_number_of_anonymous_sockets(settings):
    settings.WS_ANON_SOCKETS_PER_ADDRESS = 3
    _host, space = await _live_space()
    sockets = [await _room(space) for _ in range(3)]
    for socket in sockets:
        await _next(socket, "snapshot")

    refused = await _room(space)

    assert await refused.receive_json_from() == {
        "type": "error",
        "code": "too_many_connections",
        "message": "Too many open connections to this Space from your network.",
    }
    assert await refused.receive_output() == {"type": "websocket.close", "code": 4429}
    elsewhere = await _room(space, address="198.51.100.9")
    signed_in = await _room(space, await _signed_in_cookie("listener"))
    counts = (await _next(signed_in, "snapshot"))["counts"]
    assert counts == {"total": 6, "listed": 2}  # host, 3 + 1 anonymous, listener
    await sockets.pop().disconnect()
    replacement = await _room(space)
    assert (await replacement.receive_json_from())["type"] == "snapshot"
    for socket in [*sockets, elsewhere, signed_in, replacement]:
        await socket.disconnect()


# Sessions --------------------------------------------------------------------------------


async def test_a_cookieless_socket_stores_no_session_and_its_seat_goes_with_it():
    _host, space = await _live_space()
    page = await _room(space)
    me = (await _next(page, "snapshot"))["me"]

    assert await database_sync_to_async(Session.objects.count)() == 0
    seat = await database_sync_to_async(Participant.objects.get)(pk=me["id"])
    assert (seat.user_id, seat.left_at, len(seat.anon_id)) == (None, None, 32)

    await page.disconnect()

    await database_sync_to_async(seat.refresh_from_db)()
    assert seat.left_at is not None
    assert await database_sync_to_async(Session.objects.count)() == 0


async def test_a_browser_keeps_its_seat_across_sockets():
    _host, space = await _live_space()
    cookie = await _browser_cookie(space)
    first = await _room(space, cookie)
    me = (await _next(first, "snapshot"))["me"]
    await first.disconnect()

    again = await _room(space, cookie)

    assert (await _next(again, "snapshot"))["me"]["id"] == me["id"]
    await again.disconnect()
