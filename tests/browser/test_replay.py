"""The replay of a recorded Space in Chromium: the player, its controls, who spoke when,
reactions and pinned tweets in sync, the plays; and tone bursts sent at known times
heard at their offsets (the issue's test)."""

import re
from datetime import UTC, datetime

import numpy as np
import pytest
from playwright.sync_api import expect

from recordings import selectors
from recordings import services as recording_services
from recordings.models import Recording, ReplayEvent
from rooms import services as rooms
from rooms.models import Participant
from tests.browser.a11y import assert_accessible
from tests.browser.test_room_states import open_as
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import TweetFactory, UserFactory
from tests.recordings.replay_kit import record, silence, tone
from tests.rooms.conftest import on_stage

pytestmark = pytest.mark.browser

LEAD = 1.0  # the first sample was mixed this long after the Space went live
LENGTH = 8.0
BURSTS = [(1.0, 1.6), (3.0, 3.6), (5.5, 6.1)]  # seconds into the recording
REACTION_AT = 2.5
PIN_AT = 4.0


def _epoch(seconds: float, wall_start: float) -> datetime:
    return datetime.fromtimestamp(wall_start + seconds, tz=UTC)


@pytest.fixture
def bursts(transactional_db):
    """An ended recorded Space: the real egress packaged 8 s with three 440 Hz bursts,
    Grace was heard speaking during each, a reaction and a pin came while it was live."""
    recording_services.replay_memory_clear()
    host = UserFactory(handle="hana", display_name="Hana Host")
    grace = UserFactory(handle="grace", display_name="Grace Hopper")
    space = rooms.space_create(host=host, title="Tone bursts", record=True)
    on_stage(space, grace)
    seat = Participant.objects.get(space=space, user=grace)
    wall_start = space.started_at.timestamp() + LEAD

    parts, at = [], 0.0
    for begin, finish in BURSTS:
        parts += [silence(begin - at), tone(finish - begin)]
        at = finish
    parts.append(silence(LENGTH - at))
    record(space.pk, np.concatenate(parts), wall_start=wall_start)

    for begin, finish in BURSTS:  # as the media server's voice detection would say
        recording_services.replay_speaking_note(
            space_id=space.pk, speaking=[seat.pk], at=_epoch(begin, wall_start)
        )
        recording_services.replay_speaking_note(
            space_id=space.pk, speaking=[], at=_epoch(finish, wall_start)
        )
    recording_services.replay_reactions_note(
        space_id=space.pk,
        counts={"😂": 3},
        reactors={seat.pk: "😂"},
        at=wall_start + REACTION_AT,
    )
    tweet = TweetFactory(author=host, text="The notes for this Space")
    rooms.pin_add(space=space, actor=host, tweet_id=tweet.pk)
    pinned = ReplayEvent.objects.filter(kind="pins").latest("pk")
    ReplayEvent.objects.filter(pk=pinned.pk).update(at=_epoch(PIN_AT, wall_start))
    rooms.space_end(space=space, actor=host)
    recording = Recording.objects.get(space=space)
    assert (recording.state, len(recording.waveform)) == ("ready", 80)
    recording_services.replay_memory_clear()
    return recording


def _position(page) -> float:
    return page.evaluate(
        "JSON.parse(document.getElementById('replay-data').textContent).playlist_start"
        " + document.getElementById('replay-audio').currentTime"
    )


def test_the_replay_plays_with_its_timeline_reactions_and_pins(page, bursts):
    page.goto(bursts.space.get_absolute_url())
    replay = page.locator("#replay")
    play = replay.get_by_role("button", name="Play", exact=True)
    expect(play).to_be_enabled()
    expect(page.locator("#replay-duration")).to_have_text(re.compile(r"^0:0[78]$"))
    expect(page.locator("#replay-plays")).to_have_text("0")
    expect(page.locator("#replay-captions")).to_be_hidden()

    # Who spoke when: Grace's lane, a turn per burst; a turn seeks to its start.
    lane = page.locator("#replay-lanes li", has_text="Grace Hopper")
    expect(lane).to_be_visible()
    turns = lane.get_by_role("button")
    expect(turns).to_have_count(3)
    turns.nth(1).click()
    expect(page.locator("#replay-time")).to_have_text("0:03")
    assert _position(page) == pytest.approx(3.0, abs=0.05)

    # One tab stop per lane: the arrows, Home and End move between its turns.
    expect(turns.nth(0)).to_have_attribute("tabindex", "0")
    expect(turns.nth(2)).to_have_attribute("tabindex", "-1")
    turns.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(turns.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(turns.nth(2)).to_be_focused()
    expect(turns.nth(2)).to_have_attribute("tabindex", "0")
    expect(turns.nth(0)).to_have_attribute("tabindex", "-1")
    page.keyboard.press("Enter")
    expect(page.locator("#replay-time")).to_have_text("0:05")
    page.keyboard.press("Shift+Tab")  # out of the lane: back in, at the turn last chosen
    page.keyboard.press("Tab")
    expect(turns.nth(2)).to_be_focused()

    # The seek bar by keyboard.
    seek = page.get_by_role("slider", name="Position in the replay")
    seek.focus()
    page.keyboard.press("Home")
    expect(page.locator("#replay-time")).to_have_text("0:00")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#replay-time")).to_have_text("0:05")
    expect(page.locator("#replay-pins")).to_be_visible()  # pinned at 0:04
    expect(page.locator("#replay-pins")).to_contain_text("The notes for this Space")
    page.keyboard.press("Home")
    expect(page.locator("#replay-pins")).to_be_hidden()  # not pinned yet at 0:00

    # Speed.
    page.get_by_role("button", name="1.5×").click()
    expect(page.get_by_role("button", name="1.5×")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.getElementById('replay-audio').playbackRate") == 1.5
    page.get_by_role("button", name="2×").click()

    # Play: the count goes up, the reaction floats when reached, the pin shows after 0:04.
    expect(page.locator(".replay-float")).to_have_count(0)
    play.click()
    pause = replay.get_by_role("button", name="Pause", exact=True)
    expect(pause).to_be_visible()
    expect(page.locator("#replay-plays")).to_have_text("1")
    expect(page.locator(".replay-float").first).to_be_visible(timeout=5_000)
    assert _position(page) >= REACTION_AT
    expect(lane.locator(".replay-lane-reaction")).to_have_count(1)
    expect(page.locator("#replay-pins")).to_contain_text("The notes for this Space")
    assert _position(page) >= PIN_AT
    pause.click()
    expect(play).to_be_visible()
    stopped = _position(page)
    page.wait_for_timeout(400)
    assert _position(page) == pytest.approx(stopped, abs=0.01)

    # Seen again in the same session: not counted twice.
    page.reload()
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    expect(page.locator("#replay-plays")).to_have_text("1")
    assert Recording.objects.get(pk=bursts.pk).plays == 1


@pytest.fixture(scope="module")
def autoplay_browser(browser):
    """Chromium that lets a page start audio without a click (for the AnalyserNode)."""
    other = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
    )
    yield other
    other.close()


# Listens to the replay's audio element through an AnalyserNode and notes the replay's
# position (recording timeline) whenever the sound starts after a silence.
LISTEN = """
() => {
  const audio = document.getElementById("replay-audio");
  const base = JSON.parse(document.getElementById("replay-data").textContent).playlist_start;
  const context = new AudioContext();
  const source = context.createMediaElementSource(audio);
  const analyser = context.createAnalyser();
  analyser.fftSize = 256;
  source.connect(analyser);
  analyser.connect(context.destination);
  const samples = new Float32Array(analyser.fftSize);
  window.onsets = [];
  let loud = false;
  const poll = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    if (!loud && rms > 0.05) window.onsets.push(audio.currentTime + base);
    if (rms > 0.05) loud = true;
    else if (rms < 0.01) loud = false;
  };
  setInterval(poll, 2);
  return context.resume();
}
"""


def test_each_burst_plays_within_100_ms_of_its_offset(autoplay_browser, daphne_server, bursts):
    # The timeline says when each burst was heard, from the playlist's dates.
    data = selectors.replay_data(bursts)
    [grace] = data["speakers"]
    assert grace["name"] == "Grace Hopper"
    assert [turn[0] for turn in grace["turns"]] == pytest.approx(
        [begin for begin, _end in BURSTS], abs=0.025
    )

    context = autoplay_browser.new_context(base_url=daphne_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(bursts.space.get_absolute_url())
        expect(page.get_by_role("button", name="Play", exact=True)).to_be_enabled()
        # The lanes draw each burst where the timeline says.
        lefts = page.locator("#replay-lanes .replay-turn").evaluate_all(
            "turns => turns.map(t => parseFloat(t.style.left))"
        )
        assert lefts == pytest.approx([100 * b / LENGTH for b, _e in BURSTS], abs=0.5)

        page.evaluate(LISTEN)
        page.get_by_role("button", name="Play", exact=True).click()
        expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(
            timeout=15_000
        )  # ended
        onsets = page.evaluate("window.onsets")
    finally:
        context.close()

    assert len(onsets) == len(BURSTS), onsets
    for heard, (begin, _end) in zip(onsets, grace["turns"], strict=True):
        assert abs(heard - begin) < 0.1, (onsets, grace["turns"])


@pytest.mark.parametrize(("size", "scheme"), [("desktop", "light"), ("phone", "dark")])
def test_the_replay_is_accessible_for_its_host(browser, daphne_server, bursts, size, scheme):
    page = open_as(browser, daphne_server, bursts.space.host, size=size, scheme=scheme)
    try:
        page.goto(bursts.space.get_absolute_url())
        expect(page.get_by_role("button", name="Play", exact=True)).to_be_enabled()
        expect(page.locator("#replay-lanes li")).to_have_count(1)
        expect(page.locator("#recording-download")).to_be_visible()  # the host keeps it
        lane = page.locator("#replay-lanes li").bounding_box()
        assert lane["width"] <= page.viewport_size["width"]
        assert_accessible(page, f"replay {size} {scheme}")
    finally:
        page.context.close()


def test_a_trimmed_replay_starts_at_the_new_start(browser, daphne_server, bursts):
    page = open_as(browser, daphne_server, bursts.space.host)
    try:
        page.goto(bursts.space.get_absolute_url())
        expect(page.locator("#replay-lanes .replay-turn")).to_have_count(3)
        page.get_by_label("Edit start time").fill("2")
        page.get_by_role("button", name="Save the start time").click()
        expect(page.get_by_text("The replay now starts at the new time.")).to_be_visible()

        # The panel came back through htmx: the replay is mounted again, trimmed.
        play = page.get_by_role("button", name="Play", exact=True)
        expect(play).to_be_enabled()
        expect(page.locator("#replay-lanes .replay-turn")).to_have_count(2)  # 1.0 s is cut
        expect(page.locator("#replay-duration")).to_have_text(re.compile(r"^0:0[56]$"))
        play.click()
        expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
        page.wait_for_timeout(300)
        position = _position(page)
        assert 2.0 <= position < 3.5, position
    finally:
        page.context.close()
