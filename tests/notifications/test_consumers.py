from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from notifications.services import notify_many
from spaces_site.asgi import application
from tests.factories import UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def _person_with_session(handle):
    user = UserFactory(handle=handle)
    client = Client()
    client.force_login(user)
    return user, client.cookies["sessionid"].value


def _socket(session=None, origin="http://localhost"):
    headers = [(b"host", b"localhost"), (b"origin", origin.encode())]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, "/ws/me/", headers=headers)


async def test_a_signed_in_page_receives_its_notifications_only():
    alice, alice_session = await _person_with_session("alice")
    _bob, bob_session = await _person_with_session("bob")
    alice_page, bob_page = _socket(alice_session), _socket(bob_session)
    assert (await alice_page.connect())[0]
    assert (await bob_page.connect())[0]

    stored = SimpleNamespace(
        pk=7, user_id=alice.pk, kind="reminder", text="Your Space starts now", url="/s/abc"
    )
    await database_sync_to_async(notify_many)([stored])

    assert await alice_page.receive_json_from(timeout=5) == {
        "type": "notification",
        "kind": "reminder",
        "text": "Your Space starts now",
        "url": "/s/abc",
        "data": {"id": 7},
    }
    assert await bob_page.receive_nothing(timeout=0.3)
    await alice_page.disconnect()
    await bob_page.disconnect()


async def test_an_anonymous_socket_is_refused_with_a_reason():
    page = _socket()

    connected, _ = await page.connect()

    assert connected
    assert await page.receive_json_from() == {
        "type": "error",
        "code": "auth_required",
        "message": "Sign in first.",
    }
    assert await page.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_a_socket_from_a_foreign_origin_is_refused():
    _alice, session = await _person_with_session("alice")
    page = _socket(session, origin="https://evil.example")

    connected, _ = await page.connect()

    assert not connected


async def test_bad_frames_get_error_frames_and_the_socket_stays_open():
    _alice, session = await _person_with_session("alice")
    page = _socket(session)
    await page.connect()

    await page.send_to(text_data="{not json")
    assert await page.receive_json_from() == {
        "type": "error",
        "code": "bad_json",
        "message": "This frame is not valid JSON.",
    }
    await page.send_json_to({"type": "launch_rockets"})
    assert await page.receive_json_from() == {
        "type": "error",
        "code": "unknown_type",
        "message": "Unknown frame type.",
    }
    await page.send_to(text_data="x" * 5000)
    assert await page.receive_json_from() == {
        "type": "error",
        "code": "bad_frame",
        "message": "Frames are JSON text of at most 4 KB.",
    }
    await page.send_json_to({"type": "ping"})
    assert await page.receive_json_from() == {"type": "pong"}
    await page.disconnect()


async def test_followers_pages_hear_when_a_followed_host_goes_live():
    from accounts.services import follow_create
    from rooms.services import space_create

    host, _ = await _person_with_session("host")
    fan, fan_session = await _person_with_session("fan")
    _stranger, stranger_session = await _person_with_session("stranger")
    await database_sync_to_async(follow_create)(follower=fan, followee=host)
    fan_page, stranger_page = _socket(fan_session), _socket(stranger_session)
    await fan_page.connect()
    await stranger_page.connect()

    space = await database_sync_to_async(space_create)(host=host, title="Surprise")

    assert await fan_page.receive_json_from(timeout=5) == {
        "type": "livebar.changed",
        "space": space.code,
    }
    assert await stranger_page.receive_nothing(timeout=0.3)
    await fan_page.disconnect()
    await stranger_page.disconnect()
