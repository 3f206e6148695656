"""Clips in Chromium: cut from the cutter form (the replay's `replay:position` wiring is
the replay's to test), played at the clip's exact length, tweeted with its card; the live
clip button only in recorded Spaces."""

import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from recordings.models import Clip, Recording
from rooms import services as rooms
from tests.browser.people import signed_in_page
from tests.factories import UserFactory
from tests.recordings.clipkit import tone_after, write_recording

pytestmark = pytest.mark.browser


def _in_thread(function, *args, **kwargs):
    """Run a service beside Playwright's event loop (its events go through async_to_sync)."""
    result = []

    def run():
        try:
            result.append(function(*args, **kwargs))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0] if result else None


def test_a_clip_is_cut_played_and_tweeted(browser, daphne_server, celery_worker):
    host = UserFactory(handle="ada", display_name="Ada Lovelace")
    space = _in_thread(rooms.space_create, host=host, title="The Engine", record=True)
    write_recording(space.pk, tone_after(20.0, 5.0))
    _in_thread(rooms.space_end, space=space, actor=host)
    assert Recording.objects.get(space=space).duration == 20.0
    page = signed_in_page(browser, daphne_server, UserFactory(handle="cleo", display_name="Cleo"))

    page.goto(f"/spaces/{space.code}/clips/new/?start=3")
    form = page.get_by_role("form", name="Clip this")
    expect(form.get_by_label("Start (seconds)")).to_have_value("3.0")
    form.get_by_label("Start (seconds)").fill("15")
    form.get_by_role("button", name="Make the clip").click()
    refusal = "The clip must lie within the recording: from 0.0 to 20.0 seconds."
    expect(form.get_by_text(refusal)).to_be_visible()
    expect(form.get_by_label("Start (seconds)")).to_have_attribute("aria-invalid", "true")

    form.get_by_label("Start (seconds)").fill("4")
    form.get_by_label("Length (seconds)").fill("7.5")
    form.get_by_label("Caption (optional)").fill("Here comes the tone")
    form.get_by_role("button", name="Make the clip").click()

    expect(page).to_have_url(re.compile(r"/c/\w{10}/$"))
    expect(page.get_by_role("heading", name="Here comes the tone")).to_be_visible()
    expect(page.get_by_role("link", name="The Engine")).to_be_visible()
    expect(page.get_by_text("Clipped by Cleo (@cleo)")).to_be_visible()
    # Chromium honours the edit list: exactly the 7.5 s asked for, and it plays to its end.
    audio = page.locator("#clip-audio")
    expect(audio).to_have_js_property("duration", 7.5)
    audio.evaluate("audio => { audio.muted = true; audio.currentTime = 6.5; audio.play(); }")
    expect(audio).to_have_js_property("ended", True)
    clip = Clip.objects.get()
    assert (clip.start, clip.duration) == (4.0, 7.5)

    page.get_by_text("Tweet this clip").click()
    page.get_by_role("button", name="Tweet", exact=True).click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    card = page.get_by_role("complementary", name="Clip of The Engine")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="Here comes the tone")).to_have_attribute(
        "href", f"/c/{clip.code}/"
    )


def test_the_live_clip_button_is_there_only_in_recorded_spaces(
    browser, daphne_server, celery_worker
):
    recorded = _in_thread(
        rooms.space_create, host=UserFactory(), title="Recorded live", record=True
    )
    unrecorded = _in_thread(rooms.space_create, host=UserFactory(), title="Not recorded")
    write_recording(recorded.pk, tone_after(8.0, 1.0), ended=False)
    page = signed_in_page(browser, daphne_server, UserFactory(handle="lou", display_name="Lou"))

    page.goto(unrecorded.get_absolute_url())
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    expect(page.get_by_role("button", name="Clip the last 30 seconds")).to_have_count(0)

    page.goto(recorded.get_absolute_url())
    page.get_by_role("button", name="Share").click()
    button = page.get_by_role("button", name="Clip the last 30 seconds")
    expect(button).to_be_visible()
    button.click()
    link = page.get_by_role("link", name="Your clip is ready: open it")
    expect(link).to_be_visible()
    clip = Clip.objects.get()
    assert clip.live
    expect(link).to_have_attribute("href", f"/c/{clip.code}/")
    expect(page).to_have_url(re.compile(rf"/s/{recorded.code}/$"))  # still in the Space
