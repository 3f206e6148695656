"""Live audio in Chromium: the host speaks a known tone, an anonymous listener hears it.

Runs inside its own network namespace (scripts/in-netns): ICE can only use loopback.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import MEASURE_JS, TONE_HZ
from tests.browser.test_live_space import _signed_in

pytestmark = [pytest.mark.browser, pytest.mark.netns]


def _measure(page, ms=1000):
    return page.evaluate(MEASURE_JS, ms)


def _until(page, predicate, timeout=10.0):
    """Measure repeatedly until predicate(measurement) holds; return the last measurement."""
    import time

    deadline = time.monotonic() + timeout
    measured = None
    while time.monotonic() < deadline:
        measured = _measure(page, 500)
        if measured and predicate(measured):
            return measured
    return measured


def test_an_anonymous_listener_hears_the_host_and_the_mute_silences_it(
    audio_browser, daphne_server, media_process
):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    host = _signed_in(audio_browser, daphne_server, "ada")
    host.goto("/spaces/new/")
    host.get_by_label("Title").fill("Tones live")
    host.get_by_role("button", name="Go live now").click()
    expect(host).to_have_url(re.compile(r"/s/\w+/$"))
    expect(host.locator("#connection-status")).to_have_text("Connected")

    host.get_by_role("button", name="Connect your audio").click()
    expect(host.locator("#audio-status")).to_have_text("Your microphone is connected.")
    host.get_by_role("button", name="Unmute").click()
    expect(host.locator("#mic-level")).to_be_visible()

    listener = audio_browser.new_context(base_url=daphne_server).new_page()
    listener.set_default_timeout(10_000)
    listener.goto(host.url)
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    # A listener is never asked for the microphone: only "Listen" is offered.
    expect(listener.get_by_role("button", name="Connect your audio")).to_have_count(0)
    listener.get_by_role("button", name="Listen", exact=True).click()
    expect(listener.locator("#audio-status")).to_have_text("Listening live.")

    heard = _until(listener, lambda m: abs(m["peakHz"] - TONE_HZ) < 15 and m["rms"] > 0.05)
    assert abs(heard["peakHz"] - TONE_HZ) < 15, heard
    assert heard["rms"] > 0.05, heard
    expect(listener.locator("#stage .seat.host")).to_have_class(re.compile(r"\bspeaking\b"))

    host.get_by_role("button", name="Mute", exact=True).click()
    quiet = _until(listener, lambda m: m["rms"] < 0.002)
    assert quiet["rms"] < 0.002, quiet
    expect(listener.locator("#stage .seat.host")).not_to_have_class(re.compile(r"\bspeaking\b"))
