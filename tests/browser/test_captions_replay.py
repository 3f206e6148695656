"""Stored captions in Chromium: the replay of an ended recorded Space shows the phrase at
the playhead under its speaker's name (seeking, and while it plays), the captions can be
hidden, and the transcript's line jumps the replay to that moment."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from recordings import services as recording_services
from recordings.models import Recording
from rooms import services as rooms
from tests.browser.a11y import assert_accessible
from tests.browser.test_room_states import open_as
from tests.captions.factories import said
from tests.factories import UserFactory
from tests.recordings.replay_kit import record, silence, tone
from tests.rooms.conftest import on_stage

pytestmark = pytest.mark.browser

LEAD = 1.0  # the first sample was mixed this long after the Space went live
HANA = (0.5, 2.5, "Welcome to the show & thanks for coming")
GRACE = (3.0, 6.5, "Compilers translate what we mean into what machines do")


@pytest.fixture
def captioned(transactional_db):
    """An ended recorded Space: the real egress packaged 8 s (its first sample mixed 1 s
    after the start), and a phrase each from Hana and Grace on that timeline."""
    recording_services.replay_memory_clear()
    host = UserFactory(handle="hana", display_name="Hana Host")
    grace = UserFactory(handle="grace", display_name="Grace Hopper")
    space = rooms.space_create(host=host, title="Said on the record", record=True, captions=True)
    on_stage(space, grace)
    wall_start = space.started_at.timestamp() + LEAD
    record(space.pk, np.concatenate([silence(3), tone(2), silence(3)]), wall_start=wall_start)
    for who, (begin, end, text) in ((host, HANA), (grace, GRACE)):
        said(space, who, text, at=begin, until=end, epoch=wall_start)
    rooms.space_end(space=space, actor=host)
    recording = Recording.objects.get(space=space)
    assert recording.state == "ready"
    recording_services.replay_memory_clear()
    return space


def _position(page) -> float:
    return page.evaluate(
        "JSON.parse(document.getElementById('replay-data').textContent).playlist_start"
        " + document.getElementById('replay-audio').currentTime"
    )


def test_the_replay_shows_the_caption_at_the_playhead(page, captioned):
    page.goto(captioned.get_absolute_url())
    captions = page.locator("#replay-captions")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_enabled()
    expect(captions).to_be_hidden()  # 0:00: nobody speaks yet

    # Seek into Grace's phrase (the seek bar by keyboard: +5 s).
    seek = page.get_by_role("slider", name="Position in the replay")
    seek.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#replay-time")).to_have_text("0:05")
    expect(captions).to_be_visible()
    expect(captions.locator(".replay-caption-speaker")).to_have_text("Grace Hopper")
    expect(captions.locator(".replay-caption-text")).to_have_text(GRACE[2])

    # Back to the start and play: Hana's phrase, then Grace's, as the playhead reaches them.
    page.keyboard.press("Home")
    expect(captions).to_be_hidden()
    page.get_by_role("button", name="Play", exact=True).click()
    expect(captions.locator(".replay-caption-speaker")).to_have_text("Hana Host")
    expect(captions.locator(".replay-caption-text")).to_have_text(HANA[2])
    assert _position(page) >= HANA[0] - 0.25
    expect(captions.locator(".replay-caption-speaker")).to_have_text("Grace Hopper", timeout=5_000)
    assert _position(page) >= GRACE[0] - 0.25
    page.get_by_role("button", name="Pause", exact=True).click()

    # Hidden by the toggle, and back.
    toggle = page.get_by_role("button", name="Captions")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(captions).to_be_hidden()
    toggle.click()
    expect(captions).to_be_visible()
    expect(captions).to_contain_text(GRACE[2])


def test_the_transcript_lists_the_phrases_and_jumps_the_replay_there(page, captioned):
    page.goto(captioned.get_absolute_url())
    page.get_by_role("link", name="Transcript").click()
    expect(page).to_have_url(re.compile(r"/spaces/\w+/transcript/$"))
    lines = page.locator("#transcript-lines li")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Hana Host")
    expect(lines.nth(0)).to_contain_text(HANA[2])
    expect(lines.nth(1)).to_contain_text("00:00:03")
    expect(lines.nth(1)).to_contain_text("Grace Hopper")

    lines.nth(1).get_by_role("link").click()

    expect(page).to_have_url(re.compile(r"\?t=3#replay$"))
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_enabled()
    expect(page.locator("#replay-time")).to_have_text("0:03")
    captions = page.locator("#replay-captions")
    expect(captions.locator(".replay-caption-speaker")).to_have_text("Grace Hopper")
    expect(captions.locator(".replay-caption-text")).to_have_text(GRACE[2])
    assert _position(page) == pytest.approx(GRACE[0], abs=0.1)
    # It plays from there.
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.wait_for_timeout(600)
    assert _position(page) > GRACE[0] + 0.2


def test_a_clip_page_shows_the_phrase_being_heard(page, captioned):
    recording = Recording.objects.get(space=captioned)
    clip = recording_services.clip_create(
        space=captioned, actor=captioned.host, start=2.0, duration=4.0, title="Grace on compilers"
    )
    assert clip.recording == recording

    page.goto(clip.get_absolute_url())
    section = page.locator("#clip-transcript")
    expect(section).to_contain_text("What is said in this clip")
    expect(section.locator(".transcript-line")).to_have_count(2)
    page.evaluate("document.getElementById('clip-audio').currentTime = 1.5")
    expect(page.locator("#clip-caption")).to_be_visible()
    expect(page.locator("#clip-caption-speaker")).to_have_text("Grace Hopper")
    expect(page.locator("#clip-caption-text")).to_have_text(GRACE[2])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_captions_and_the_transcript_are_accessible(browser, daphne_server, captioned, scheme):
    page = open_as(browser, daphne_server, scheme=scheme)
    try:
        page.goto(f"{captioned.get_absolute_url()}?t=3")
        expect(page.locator("#replay-captions")).to_contain_text(GRACE[2])
        assert_accessible(page, f"replay captions {scheme}")
        page.goto(f"/spaces/{captioned.code}/transcript/")
        expect(page.locator("#transcript-lines li")).to_have_count(2)
        assert_accessible(page, f"transcript {scheme}")
        page.goto("/spaces/?q=compilers")
        expect(page.locator(".transcript-hit mark")).to_have_text("Compilers")
        assert_accessible(page, f"search hits {scheme}")
    finally:
        page.context.close()
