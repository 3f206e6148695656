"""Captions end to end, as a person meets them: the host speaks into Chromium's
microphone (a spoken sentence file), the real media server taps her audio, the real
captions worker recognises it, and a listener's page shows the words under her name
while the Space is live; after the end, the replay shows them at the moment they were
said in the recording (within 1 s).

Runs inside its own network namespace (scripts/in-netns): ICE can only use loopback.
"""

import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from playwright.sync_api import expect

from captions.models import CaptionSegment
from captions.selectors import transcript
from recordings.models import Recording
from rooms.models import Space
from tests.browser.conftest import _start_media, _stop
from tests.browser.people import signed_in_page
from tests.captions.live import free_udp_address, worker_start, worker_stop
from tests.captions.speech import needs_espeak, speech_wav
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, live_env
from tests.factories import UserFactory
from tests.mediaserver.hls import decode

pytestmark = [pytest.mark.browser, pytest.mark.netns, needs_espeak]

SENTENCE = "Welcome to our live audio room, today we talk about coffee and design."
KEY_WORDS = re.compile(r"coffee", re.IGNORECASE)
RATE = 48000


@pytest.fixture(scope="module")
def speaking_browser():
    """Chromium whose fake microphone says SENTENCE, then a pause (it loops the file)."""
    from playwright.sync_api import sync_playwright

    wav = speech_wav(SENTENCE, "en", rate=RATE, pad_seconds=1.5)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-ui-for-media-stream",
                    "--allow-loopback-in-peer-connection",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}",
                ],
            )
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def captions_stack(daphne_server, tmp_path, monkeypatch):
    """The media server and the captions worker, on a feed address of this test's own."""
    monkeypatch.setenv("CAPTIONS_FEED_ADDRESS", free_udp_address())
    worker = worker_start(live_env(), tmp_path / "runcaptions.log")
    with tempfile.TemporaryFile() as log:
        media = _start_media(log)
        yield
        _stop(media)
    worker_stop(worker)


def _speech_onsets(space_id: int) -> list[float]:
    """Where speech starts in the recording (seconds on its timeline): a loud 20 ms frame
    after at least half a second of quiet."""
    folder = Path(settings.EGRESS_ROOT) / "hls" / str(space_id)
    data = (folder / "init.mp4").read_bytes() + b"".join(
        path.read_bytes() for path in sorted(folder.glob("seg-*.m4s"))
    )
    decoded = decode(data)
    frames = decoded.samples[: len(decoded.samples) // 960 * 960].reshape(-1, 960)
    loud = np.sqrt(np.mean(np.square(frames), axis=1)) > 0.01
    start = decoded.pts[0] / RATE
    onsets, quiet = [], 25
    for index, is_loud in enumerate(loud):
        if is_loud and quiet >= 25:
            onsets.append(start + index * 0.02)
        quiet = 0 if is_loud else quiet + 1
    return onsets


def test_a_listener_reads_what_the_host_says_and_the_replay_keeps_it(
    speaking_browser, daphne_server, captions_stack
):
    ada = UserFactory(handle="ada", display_name="Ada Lovelace")
    host = signed_in_page(speaking_browser, daphne_server, ada)
    host.goto("/spaces/new/")
    host.get_by_label("Title").fill("Coffee and design")
    host.get_by_label("Record this Space").check()
    host.get_by_label("Turn on captions").check()
    host.get_by_role("button", name="Go live now").click()
    expect(host).to_have_url(re.compile(r"/s/\w+/$"))
    expect(host.locator("#connection-status")).to_have_text("Connected")
    host.get_by_role("button", name="Connect your audio").click()
    expect(host.locator("#audio-status")).to_have_text("Your microphone is connected.")
    host.get_by_role("button", name="Unmute").click()

    listener = speaking_browser.new_context(base_url=daphne_server, locale="en-US").new_page()
    listener.goto(host.url)
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    captions = listener.locator("#captions")
    expect(captions).to_be_visible()
    # Within a few seconds of her first sentence, under her name.
    line = listener.locator("#captions-lines li").filter(has_text=KEY_WORDS).first
    expect(line).to_be_visible(timeout=30_000)
    expect(line).to_contain_text("Ada Lovelace")
    expect(listener.locator("#captions-live")).to_contain_text(KEY_WORDS)

    # One more sentence on the record, then the end.
    space = Space.objects.get(title="Coffee and design")
    deadline = time.monotonic() + 30
    while CaptionSegment.objects.filter(space=space, text__icontains="coffee").count() < 2:
        assert time.monotonic() < deadline, list(CaptionSegment.objects.values("text"))
        time.sleep(0.25)
    host.locator("#end-space").click()
    host.get_by_role("dialog").get_by_role("button", name="End this Space for everyone").click()
    expect(host.locator("#space-over")).to_be_visible()
    assert Recording.objects.get(space=space).state == Recording.State.READY

    # Each stored phrase sits on the replay's timeline within 1 s of where the recording
    # has the speech that it transcribes.
    onsets = _speech_onsets(space.pk)
    lines = [line for line in transcript(space) if KEY_WORDS.search(line.text)]
    assert lines, [line.text for line in transcript(space)]
    for said in lines:
        assert min(abs(said.offset - onset) for onset in onsets) < 1.0, (said, onsets)
        assert said.speaker == "Ada Lovelace"

    # The replay, at that moment, shows it under her name.
    first = lines[0]
    listener.goto(f"{host.url}?t={first.offset + 0.5:.1f}")
    shown = listener.locator("#replay-captions")
    expect(shown).to_be_visible()
    expect(shown.locator(".replay-caption-speaker")).to_have_text("Ada Lovelace")
    expect(shown.locator(".replay-caption-text")).to_contain_text(KEY_WORDS)
