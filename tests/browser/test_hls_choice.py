"""Listening over HLS, what the page shows: the choice for listeners (never on the stage),
and a `media.hls` frame (the WebRTC cap reached) that switches the page to the stream and
says why. No media server here: the socket is the real one, with the server's answer to
an offer replaced by `media.hls` (tests/rooms/test_hls_listening.py has the real one)."""

import json
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.test_live_space import _signed_in

pytestmark = pytest.mark.browser

FULL = "This Space is full for live audio: you hear it a few seconds late."


def _live(browser, base_url):
    call_command("seed_demo", verbosity=0)
    host = _signed_in(browser, base_url, "ada")
    host.goto("/spaces/new/")
    host.get_by_label("Title").fill("Crowded room")
    host.get_by_role("button", name="Go live now").click()
    expect(host).to_have_url(re.compile(r"/s/\w+/$"))
    expect(host.locator("#connection-status")).to_have_text("Connected")
    return host


def _full_for_webrtc(page):
    """The real socket, except that every listener offer is answered with `media.hls`."""
    code = {}

    def handle(ws):
        server = ws.connect_to_server()
        code["path"] = ws.url

        def from_page(message):
            frame = json.loads(message)
            if frame.get("type") == "media.offer" and not frame.get("publish"):
                hls = page.locator("#space-room").get_attribute("data-hls-url")
                ws.send(
                    json.dumps(
                        {"type": "media.hls", "url": hls, "reason": "cap", "id": frame.get("id")}
                    )
                )
                return
            server.send(message)

        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/ws/spaces/"), handle)


def test_a_listener_may_choose_hls_and_the_stage_may_not(browser, daphne_server):
    host = _live(browser, daphne_server)
    listener = browser.new_context(base_url=daphne_server, locale="en-US").new_page()
    listener.goto(host.url)
    expect(listener.locator("#connection-status")).to_have_text("Connected")

    choice = listener.get_by_label("Listen over HLS")
    expect(choice).to_be_visible()
    expect(choice).not_to_be_checked()  # WebRTC stays the default
    expect(host.get_by_label("Listen over HLS")).to_be_hidden()  # the host is on the stage

    choice.check()
    listener.get_by_role("button", name="Listen", exact=True).click()
    # No stream here (no media server wrote one): the page says it is connecting to it,
    # never to live WebRTC audio.
    expect(listener.locator("#audio-status")).to_have_text(
        re.compile("Connecting to the stream…|The stream could not be played.")
    )
    expect(choice).to_be_checked()


def test_a_media_hls_frame_switches_the_page_to_the_stream_and_says_why(browser, daphne_server):
    host = _live(browser, daphne_server)
    listener = browser.new_context(base_url=daphne_server, locale="en-US").new_page()
    _full_for_webrtc(listener)
    listener.goto(host.url)
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    expect(listener.get_by_label("Listen over HLS")).not_to_be_checked()

    listener.get_by_role("button", name="Listen", exact=True).click()

    expect(listener.locator("#audio-status")).to_have_text(FULL)
    expect(listener.get_by_label("Listen over HLS")).to_be_checked()
    expect(listener.get_by_role("button", name="Stop listening")).to_be_visible()
    # Without a stream to play, it gives up in the end and offers Try again.
    expect(listener.locator("#audio-status")).to_have_text(
        "The stream could not be played.", timeout=40_000
    )
    retry = listener.get_by_role("button", name="Try again")
    expect(retry).to_be_visible()
    retry.click()
    expect(listener.locator("#audio-status")).to_have_text(FULL)
    expect(retry).to_be_hidden()
