"""Live captions on the Space page, as a listener and a host see them: the worker's partial
and final captions under the speaker's name, announced once; each listener's own choices;
the host's switch, live for everyone; a language without a speech model said plainly."""

import tempfile
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from captions.services import (
    caption_partial_send,
    caption_segment_add,
    captions_behind_send,
    captions_set,
)
from captions.worker import ALIVE_KEY
from rooms import services
from tests.browser.a11y import assert_accessible
from tests.browser.test_room_states import call, open_as, shot
from tests.conftest import _free_port, start_daphne, stop_daphne
from tests.factories import UserFactory
from tests.rooms.conftest import on_stage

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def worker_alive():
    """A captions worker's heartbeat, as runcaptions keeps it (these tests make the
    worker's calls themselves)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(ALIVE_KEY, "1", px=600_000)
    yield client
    client.delete(ALIVE_KEY)
    client.close()


@pytest.fixture
def room(daphne_server):
    """A live Space with captions on, its host and a speaker on the stage."""
    host = UserFactory(handle="hana", display_name="Hana Host")
    speaker = UserFactory(handle="ada", display_name="Ada Lovelace")
    space = services.space_create(host=host, title="Captioned talk", captions=True)
    seat = on_stage(space, speaker)
    return {"space": space, "host": host, "seat": seat, "url": space.get_absolute_url()}


def connected(page, url):
    page.goto(url)
    expect(page.locator("#connection-status")).to_have_text("Connected")
    return page


def say(seat, key, text, *, final):
    """What the captions worker calls for one phrase of this speaker."""
    started = timezone.now() - timedelta(seconds=2)
    ids = {"space_id": seat.space_id, "participant_id": seat.pk, "key": key, "text": text}
    if final:
        call(caption_segment_add, **ids, started_at=started, ended_at=timezone.now(), language="en")
    else:
        call(caption_partial_send, **ids, started_at=started)


def font_size(locator) -> float:
    return float(locator.evaluate("(node) => parseFloat(getComputedStyle(node).fontSize)"))


def test_a_listener_follows_captions_and_the_host_switches_them(browser, daphne_server, room):
    listener = connected(open_as(browser, daphne_server), room["url"])
    captions = listener.locator("#captions")
    lines = listener.locator("#captions-lines")
    expect(captions).to_be_visible()
    expect(lines).to_contain_text("Captions appear here when someone speaks.")

    say(room["seat"], "ada-1", "Good evening every", final=False)
    line = lines.locator("li.caption")
    expect(line).to_have_count(1)
    expect(line.locator(".caption-speaker")).to_have_text("Ada Lovelace")
    expect(line.locator(".caption-text")).to_have_text("Good evening every")
    # A partial is not announced: screen readers hear finished phrases only.
    expect(listener.locator("#captions-live")).to_have_text("")

    say(room["seat"], "ada-1", "Good evening everyone, welcome.", final=True)
    expect(line.locator(".caption-text")).to_have_text("Good evening everyone, welcome.")
    expect(line).to_have_count(1)  # the final replaced the partial, in place
    live = listener.locator("#captions-live")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_have_text("Ada Lovelace: Good evening everyone, welcome.")

    # The last three lines stay; the oldest goes.
    for n in range(2, 5):
        say(room["seat"], f"ada-{n}", f"Phrase number {n}.", final=True)
    expect(line).to_have_count(3)
    expect(lines).not_to_contain_text("Good evening")
    expect(live.locator("p")).to_have_count(3)
    expect(live).to_contain_text("Phrase number 4.")

    call(captions_behind_send, space_id=room["space"].pk, behind=True)
    expect(listener.get_by_text("Captions are behind")).to_be_visible()
    call(captions_behind_send, space_id=room["space"].pk, behind=False)
    expect(listener.get_by_text("Captions are behind")).to_be_hidden()

    # Each listener hides or shows them; the browser remembers.
    listener.get_by_role("button", name="Hide captions").click()
    expect(listener.locator("#captions-region")).to_be_hidden()
    listener.reload()
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    expect(listener.locator("#captions-region")).to_be_hidden()
    listener.get_by_role("button", name="Show captions").click()
    expect(listener.locator("#captions-region")).to_be_visible()

    # The size toggle: larger text, remembered too.
    normal = font_size(lines)
    size = listener.get_by_role("button", name="Larger captions")
    expect(size).to_have_attribute("aria-pressed", "false")
    size.click()
    expect(size).to_have_attribute("aria-pressed", "true")
    assert font_size(lines) > normal * 1.2
    listener.reload()
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    assert font_size(listener.locator("#captions-lines")) > normal * 1.2
    listener.get_by_role("button", name="Larger captions").click()
    assert font_size(listener.locator("#captions-lines")) == normal

    # The host turns them off from the room: the listener's region goes, live; and back.
    host = connected(open_as(browser, daphne_server, room["host"]), room["url"])
    switch = host.get_by_role("switch", name="Captions")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(captions).to_be_hidden()
    expect(host.locator("#captions")).to_be_hidden()
    expect(switch).not_to_be_checked()
    switch.check()
    expect(captions).to_be_visible()
    expect(host.locator("#captions")).to_be_visible()
    say(room["seat"], "ada-9", "Back on.", final=True)
    expect(lines).to_contain_text("Back on.")
    shot(listener, "captions-listener")


def test_a_listener_sees_no_captions_nor_switch_when_the_space_has_them_off(
    browser, daphne_server, room
):
    call(captions_set, space=room["space"], actor=room["host"], enabled=False)
    listener = connected(open_as(browser, daphne_server), room["url"])

    expect(listener.locator("#captions")).to_be_hidden()
    expect(listener.locator("#captions-controls")).to_have_count(0)


def test_captions_fit_a_phone(browser, daphne_server, room):
    listener = connected(open_as(browser, daphne_server, size="phone"), room["url"])
    say(room["seat"], "ada-1", "A rather long phrase " * 8, final=True)
    region = listener.locator("#captions-region")
    expect(region).to_be_visible()
    expect(region).to_contain_text("A rather long phrase")

    box = region.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    assert listener.evaluate("() => document.documentElement.scrollWidth") <= 375
    listener.get_by_role("button", name="Larger captions").click()
    box = region.bounding_box()
    assert box["x"] + box["width"] <= 375
    shot(listener, "captions-phone")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_captions_region_is_accessible(browser, daphne_server, room, scheme):
    host = connected(open_as(browser, daphne_server, room["host"], scheme=scheme), room["url"])
    say(room["seat"], "ada-1", "Accessible, in every light", final=False)
    expect(host.locator("#captions-lines")).to_contain_text("Accessible, in every light")
    expect(host.get_by_role("switch", name="Captions")).to_be_visible()
    assert_accessible(host, f"captions ({scheme})")


# A site whose speech models caption English only ---------------------------------------------


@pytest.fixture
def english_only_server(transactional_db):
    """A Daphne process whose `captions.engine.languages()` is {"en"} (the bundled English
    model without the multilingual one)."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        process = start_daphne(port, log, "tests.browser.english_only_asgi:application")
        yield f"http://localhost:{port}"
        stop_daphne(process)


def test_italian_captions_without_a_model_are_explained(browser, english_only_server):
    host = UserFactory(handle="giulia", display_name="Giulia")
    space = services.space_create(
        host=host, title="In italiano", captions=True, captions_language="it"
    )
    assert space.captions_language == "it"
    needs_model = "Captions in Italian need a configured speech model."

    listener = connected(open_as(browser, english_only_server), space.get_absolute_url())
    expect(listener.locator("#captions")).to_be_visible()
    expect(listener.locator("#captions-unavailable")).to_have_text(needs_model)
    expect(listener.locator("#captions-region")).to_be_hidden()

    page = connected(open_as(browser, english_only_server, host), space.get_absolute_url())
    controls = page.locator("#captions-controls")
    expect(controls).to_contain_text(needs_model)
    shot(page, "captions-host-italian")
    # In English the note goes, live, for the host and the listener alike.
    controls.get_by_label("Caption language").select_option("en")
    expect(controls.locator("#captions-controls-note")).to_be_hidden()
    expect(listener.locator("#captions-unavailable")).to_be_hidden()
    expect(listener.locator("#captions-region")).to_be_visible()


def test_without_a_captions_worker_the_page_says_so_until_captions_come(
    browser, daphne_server, room, worker_alive
):
    worker_alive.delete(ALIVE_KEY)
    listener = connected(open_as(browser, daphne_server), room["url"])
    notice = listener.locator("#captions-unavailable")
    expect(notice).to_be_visible()
    expect(notice).to_have_text("Captions are unavailable right now.")

    # The worker came back: its first caption answers the notice.
    say(room["seat"], "ada-1", "We are back.", final=True)
    expect(listener.locator("#captions-lines li.caption")).to_contain_text("We are back.")
    expect(notice).to_be_hidden()
