"""Three people in three browsers: a live Space, in real time, without a reload."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _signed_in(browser, base_url, handle):
    context = browser.new_context(base_url=base_url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(f"{handle}@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page


def test_a_live_space_with_a_host_an_anonymous_listener_and_a_new_speaker(
    browser, daphne_server, celery_worker
):
    call_command("seed_demo", verbosity=0)  # marta follows ada
    host = _signed_in(browser, daphne_server, "ada")
    follower = _signed_in(browser, daphne_server, "marta")
    expect(follower.locator("#live-bar")).to_be_hidden()

    host.goto("/spaces/new/")
    host.get_by_label("Title").fill("Engines and poetry")
    host.get_by_label("Topics").fill("history, computing")
    host.get_by_role("button", name="Go live now").click()
    expect(host).to_have_url(re.compile(r"/s/\w+/$"))
    link = host.url
    expect(host.locator("#connection-status")).to_have_text("Connected")

    # The follower's live bar shows the Space without a reload.
    expect(follower.locator("#live-bar")).to_contain_text("Engines and poetry")

    anonymous = browser.new_context(base_url=daphne_server).new_page()
    anonymous.goto(link)
    expect(anonymous.locator("#connection-status")).to_have_text("Connected")
    expect(host.locator("#listener-count")).to_have_text("2 listening")
    expect(host.locator("#listeners")).to_contain_text("Nobody is listed yet")

    listener = _signed_in(browser, daphne_server, "grace")
    listener.goto(link)
    expect(host.locator("#listeners")).to_contain_text("Grace Hopper")
    listed = listener.get_by_label("Show me in the listener list")
    expect(listed).to_be_checked()
    listed.uncheck()
    expect(host.locator("#listeners")).not_to_contain_text("Grace Hopper")
    expect(listed).not_to_be_checked()
    listener.get_by_role("button", name="Request to speak").click()
    requests = host.locator("#hands")
    expect(requests).to_contain_text("Grace Hopper")
    requests.get_by_role("button", name="Approve").click()

    for page in (host, anonymous, listener):
        expect(page.locator("#stage .seat")).to_have_count(2)
        expect(page.locator("#stage")).to_contain_text("Grace Hopper")
        expect(page.locator("#stage")).to_contain_text("Speaker")
    # On the stage, the audio slot connects first (a click: browsers need one), then unmutes.
    listener.get_by_role("button", name="Connect your audio").click()
    expect(listener.get_by_role("button", name="Unmute")).to_be_visible()
    listener.get_by_role("button", name="Unmute").click()
    grace_seat = host.locator("#stage .seat.speaker")
    expect(grace_seat).not_to_have_class(re.compile("muted"))

    anonymous.get_by_role("button", name="React").click()
    anonymous.get_by_role("button", name="React with 👏").click()
    expect(host.locator("#floats .float").first).to_have_text("👏")
    expect(listener.locator("#floats .float").first).to_have_text("👏")

    grace_seat.get_by_title("Actions for Grace Hopper").click()
    grace_seat.get_by_role("button", name="Mute").click()
    expect(grace_seat).to_have_class(re.compile("muted"))
    expect(listener.get_by_role("button", name="Unmute")).to_be_visible()

    host.goto(link.replace("/s/", "/spaces/").rstrip("/") + "/manage/")
    host.get_by_role("button", name="End this Space for everyone").click()
    # It asks first, in a dialog.
    host.get_by_role("dialog").get_by_role("button", name="End this Space for everyone").click()
    expect(host.get_by_text("This Space has ended.").first).to_be_visible()
    for page in (anonymous, listener):
        expect(page.locator("#space-over")).to_be_visible()
        expect(page.locator("#space-over")).to_contain_text("This Space has ended.")
        expect(page.locator("#dock")).to_be_hidden()
    expect(follower.locator("#live-bar")).to_be_hidden()
