"""Web Push against a fake push service on loopback: the test decrypts what it receives."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from notifications import services
from notifications.management.commands.vapidkeys import b64url, new_pair
from notifications.models import PushOutbox, PushSubscription
from scheduling import services as scheduling

pytestmark = pytest.mark.django_db


class FakePushService:
    """Takes pushes like a browser vendor's service: 201, or 410 under /gone/."""

    def __init__(self):
        self.received = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append((self.path, dict(self.headers), body))
                self.send_response(410 if self.path.startswith("/gone/") else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings):
    private, public = new_pair()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = private, public
    settings.PUSH_ALLOW_LOOPBACK = True
    service = FakePushService()
    yield service
    service.close()


def _browser_keys():
    """What a browser's PushManager makes: an ECDH key pair and an auth secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    return key, auth, {"p256dh": b64url(public), "auth": b64url(auth)}


def _due(scheduled, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(scheduled.scheduled_for, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        scheduling.reminders_deliver()


def test_a_reminder_arrives_encrypted_and_signed_at_the_push_service(
    api, push_service, scheduled, fan, django_capture_on_commit_callbacks
):
    key, auth, keys = _browser_keys()
    api.force_authenticate(fan)
    endpoint = f"{push_service.url}/push/fan-browser"
    response = api.post(
        "/api/push/subscriptions/", {"endpoint": endpoint, "keys": keys}, format="json"
    )
    assert response.status_code == 201
    scheduling.reminder_set(space=scheduled, user=fan)

    _due(scheduled, django_capture_on_commit_callbacks)
    services.pushes_send()  # nothing is sent twice

    [(path, headers, body)] = push_service.received
    assert path == "/push/fan-browser"
    headers = {name.lower(): value for name, value in headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t="), headers
    message = json.loads(
        http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
    )
    assert message == {
        "title": "Spaces",
        "body": "“Tomorrow's show” is starting now.",
        "url": scheduled.get_absolute_url(),
    }
    assert PushOutbox.objects.get().sent_at is not None


def test_a_subscription_the_push_service_calls_gone_is_deleted(
    push_service, scheduled, fan, django_capture_on_commit_callbacks
):
    _key, _auth, keys = _browser_keys()
    services.push_subscribe(user=fan, endpoint=f"{push_service.url}/gone/old", **keys)
    scheduling.reminder_set(space=scheduled, user=fan)

    _due(scheduled, django_capture_on_commit_callbacks)

    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()


def test_no_push_for_someone_who_turned_it_off(
    push_service, scheduled, fan, django_capture_on_commit_callbacks
):
    _key, _auth, keys = _browser_keys()
    services.push_subscribe(user=fan, endpoint=f"{push_service.url}/push/x", **keys)
    services.notification_settings_set(user=fan, in_app=True, email=True, push=False)
    scheduling.reminder_set(space=scheduled, user=fan)

    _due(scheduled, django_capture_on_commit_callbacks)

    assert push_service.received == []


@pytest.mark.parametrize(
    ("endpoint", "keys", "field", "message"),
    [
        ("ftp://push.example.com/x", None, "endpoint", "A push endpoint is an https:// address."),
        (
            "http://fcm.googleapis.com/x",
            None,
            "endpoint",
            "A push endpoint is an https:// address.",
        ),
        (
            "https://169.254.169.254/latest/meta-data",
            None,
            "endpoint",
            "This is not the address of a browser's push service.",
        ),
        (
            "https://10.0.0.1:6379/",
            None,
            "endpoint",
            "This is not the address of a browser's push service.",
        ),
        (
            "https://fcm.googleapis.com.evil.example/x",
            None,
            "endpoint",
            "This is not the address of a browser's push service.",
        ),
        (
            "https://fcm.googleapis.com:8443/x",
            None,
            "endpoint",
            "This is not the address of a browser's push service.",
        ),
        ("not a url", None, "endpoint", "A push endpoint is an https:// address."),
        (
            "https://fcm.googleapis.com/fcm/send/x",
            {"p256dh": "AAAA", "auth": "x"},
            "p256dh",
            "This is not a valid key of this browser's push subscription.",
        ),
        (
            "https://fcm.googleapis.com/fcm/send/x",
            {"p256dh": None, "auth": base64.urlsafe_b64encode(b"short").decode()},
            "auth",
            "This is not a valid key of this browser's push subscription.",
        ),
    ],
)
def test_a_malformed_subscription_is_refused_with_a_reason(
    api, push_service, fan, endpoint, keys, field, message
):
    _key, _auth, good = _browser_keys()
    keys = {**good, **{k: v for k, v in (keys or {}).items() if v is not None}}
    api.force_authenticate(fan)

    response = api.post(
        "/api/push/subscriptions/", {"endpoint": endpoint, "keys": keys}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}
    assert not PushSubscription.objects.exists()


def test_unsubscribing_forgets_the_browser(api, push_service, fan):
    _key, _auth, keys = _browser_keys()
    endpoint = "https://updates.push.services.mozilla.com/wpush/v2/mine"
    services.push_subscribe(user=fan, endpoint=endpoint, **keys)
    api.force_authenticate(fan)

    assert api.delete("/api/push/subscriptions/", {"endpoint": endpoint}, format="json").json() == {
        "removed": 1
    }
    assert not PushSubscription.objects.exists()


def test_the_service_worker_is_served_for_the_whole_site(client):
    response = client.get("/sw.js")

    assert response["Service-Worker-Allowed"] == "/"
    assert response["Content-Type"].startswith("text/javascript")
    assert b"showNotification" in response.content
