"""Each state of a room, as people see it at desktop and phone sizes: what is visible, what
is gone, what is announced. Every test saves screenshots under test-results/shots/."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from rooms import services
from rooms.models import Participant
from scheduling.services import space_schedule
from tests.browser.a11y import assert_accessible
from timeline.services import tweet_create

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
SHOTS = settings.BASE_DIR / "test-results" / "shots"


@pytest.fixture(params=list(SIZES))
def size(request):
    return request.param


@pytest.fixture
def people(daphne_server):
    call_command("seed_demo", verbosity=0)
    return {u.handle: u for u in User.objects.filter(handle__in=["ada", "grace", "linus", "marta"])}


def open_as(browser, base_url, user=None, *, size="desktop", scheme="light", locale="en-US"):
    """A new browser context for one person (or an anonymous visitor), signed in by cookie."""
    context = browser.new_context(
        base_url=base_url,
        locale=locale,
        viewport=SIZES[size],
        color_scheme=scheme,
        bypass_csp=True,  # only so that axe-core can be injected; the app's CSP is tested elsewhere
    )
    if user is not None:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}]
        )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def call(service, /, **kwargs):
    """Run a service off Playwright's thread: its event loop stops the channel layer's
    async_to_sync there, and the events must reach the pages."""

    def run():
        try:
            return service(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(run).result()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def dock(page):
    return page.get_by_role("navigation", name="Room controls")


def in_one_row(page):
    """The visible dock buttons share one row and nothing overflows the dock."""
    return page.evaluate(
        """() => {
          const dock = document.getElementById("dock");
          const tops = [...dock.children].filter((b) => b.offsetParent !== null)
            .map((b) => Math.round(b.getBoundingClientRect().top));
          return new Set(tops).size === 1 && dock.scrollWidth <= dock.clientWidth + 1
            && dock.getBoundingClientRect().right <= window.innerWidth + 1;
        }"""
    )


def live_space(host, title="Engines and poetry"):
    return services.space_create(host=host, title=title, topics=["history"])


def test_each_person_sees_their_own_controls_and_no_others(browser, daphne_server, people, size):
    space = live_space(people["ada"])
    link = space.get_absolute_url()
    host = open_as(browser, daphne_server, people["ada"], size=size)
    anonymous = open_as(browser, daphne_server, size=size)
    grace = open_as(browser, daphne_server, people["grace"], size=size)
    for page in (host, anonymous, grace):
        page.goto(link)
        expect(page.locator("#connection-status")).to_have_text("Connected")
        expect(page.locator("#live-pill")).to_be_visible()
        expect(page.locator("#space-over")).to_be_hidden()
        assert in_one_row(page), "the control dock wraps or overflows"

    controls = dock(host)
    expect(controls.get_by_role("button", name="Connect your audio")).to_be_visible()
    expect(host.get_by_role("button", name="End", exact=True)).to_be_visible()
    for hidden in ("Request to speak", "Cancel request", "Leave stage", "Stop listening", "Listen"):
        expect(controls.get_by_role("button", name=hidden, exact=True)).to_be_hidden()

    controls = dock(anonymous)
    expect(controls.get_by_role("button", name="Listen", exact=True)).to_be_visible()
    expect(controls.get_by_role("link", name="Sign in to request to speak")).to_be_visible()
    expect(anonymous.get_by_role("button", name="End", exact=True)).to_be_hidden()
    for hidden in ("Request to speak", "Stop listening", "Leave stage", "Unmute", "Mute"):
        expect(controls.get_by_role("button", name=hidden, exact=True)).to_be_hidden()
    # Listening swaps Listen for Stop listening, and back: never both.
    controls.get_by_role("button", name="Listen", exact=True).click()
    expect(controls.get_by_role("button", name="Stop listening")).to_be_visible()
    expect(controls.get_by_role("button", name="Listen", exact=True)).to_be_hidden()
    shot(anonymous, f"room-listening-anonymous-{size}")
    controls.get_by_role("button", name="Stop listening").click()
    expect(controls.get_by_role("button", name="Listen", exact=True)).to_be_visible()
    expect(controls.get_by_role("button", name="Stop listening")).to_be_hidden()

    controls = dock(grace)
    controls.get_by_role("button", name="Request to speak").click()
    expect(controls.get_by_role("button", name="Cancel request")).to_be_visible()
    expect(controls.get_by_role("button", name="Request to speak")).to_be_hidden()
    expect(host.locator("#announcer")).to_have_text("Grace Hopper asks to speak.")
    host.locator("#hands").get_by_role("button", name="Approve").click()
    expect(controls.get_by_role("button", name="Connect your audio")).to_be_visible()
    expect(controls.get_by_role("button", name="Leave stage")).to_be_visible()
    expect(controls.get_by_role("button", name="Cancel request")).to_be_hidden()
    expect(grace.get_by_label("Show me in the listener list")).to_be_hidden()
    expect(anonymous.locator("#announcer")).to_have_text("Grace Hopper is on the stage.")
    expect(anonymous.get_by_role("link", name="Grace Hopper, Speaker, Muted")).to_be_visible()
    # The reactions tray opens from the dock and floats the reaction for everyone.
    dock(anonymous).get_by_role("button", name="React").click()
    anonymous.get_by_role("button", name="React with 👏").click()
    expect(host.locator("#floats .float").first).to_have_text("👏")
    for page, who in ((host, "host"), (anonymous, "anonymous"), (grace, "speaker")):
        shot(page, f"room-live-{who}-{size}")
        assert in_one_row(page), f"the {who}'s dock wraps"
    assert_accessible(host, "host's room")
    assert_accessible(anonymous, "anonymous room")


def test_ending_asks_first_then_every_page_shows_the_end_at_the_top(
    browser, daphne_server, people, size
):
    space = live_space(people["ada"])
    host = open_as(browser, daphne_server, people["ada"], size=size)
    grace = open_as(browser, daphne_server, people["grace"], size=size)
    for page in (host, grace):
        page.goto(space.get_absolute_url())
        expect(page.locator("#connection-status")).to_have_text("Connected")
    call(
        services.hand_raise, participant=Participant.objects.get(space=space, user=people["grace"])
    )
    call(
        services.request_approve,
        space=space,
        actor=people["ada"],
        participant_id=Participant.objects.get(space=space, user=people["grace"]).pk,
    )
    expect(dock(grace).get_by_role("button", name="Leave stage")).to_be_visible()

    host.get_by_role("button", name="End", exact=True).click()
    dialog = host.get_by_role("dialog", name="End this Space for everyone?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Keep it going").click()
    expect(dialog).to_be_hidden()
    expect(grace.locator("#live-pill")).to_be_visible()

    host.get_by_role("button", name="End", exact=True).click()
    dialog.get_by_role("button", name="End this Space for everyone").click()
    for page in (host, grace):
        over = page.locator("#space-over")
        expect(over).to_be_visible()
        expect(over).to_contain_text("This Space has ended.")
        assert over.bounding_box()["y"] < 400, "the end is shown below the fold"
        for gone in ("#live-pill", "#stage", "#dock", "#connection-status", "#listeners"):
            expect(page.locator(gone)).to_be_hidden()
        for name in ("Connect your audio", "Unmute", "Leave stage", "Listen", "End"):
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    shot(grace, f"room-ended-speaker-{size}")
    assert_accessible(grace, "ended room")


def test_a_removed_person_loses_every_control_and_cannot_come_back(
    browser, daphne_server, people, size
):
    space = live_space(people["ada"])
    host = open_as(browser, daphne_server, people["ada"], size=size)
    grace = open_as(browser, daphne_server, people["grace"], size=size)
    host.goto(space.get_absolute_url())
    grace.goto(space.get_absolute_url())
    listener = host.locator("#listeners .listener", has_text="Grace Hopper")
    listener.get_by_title("Actions for Grace Hopper").click()
    listener.get_by_role("button", name="Remove", exact=True).click()

    expect(grace.locator("#space-over")).to_contain_text("You were removed from this Space.")
    expect(grace.locator("#dock")).to_be_hidden()
    expect(grace.locator("#stage")).to_be_hidden()
    expect(host.locator("#listeners")).not_to_contain_text("Grace Hopper")
    shot(grace, f"room-removed-{size}")

    grace.reload()
    expect(grace.get_by_text("You were removed from this Space.")).to_be_visible()
    expect(grace.locator("#dock")).to_have_count(0)
    expect(host.locator("#listeners")).not_to_contain_text("Grace Hopper")


def test_moving_a_speaker_to_listeners_keeps_them_in_everyones_listener_list(
    browser, daphne_server, people
):
    ada, grace, linus = people["ada"], people["grace"], people["linus"]
    space = live_space(ada)
    pages = {}
    for who in (ada, linus):
        pages[who.handle] = open_as(browser, daphne_server, who)
        pages[who.handle].goto(space.get_absolute_url())
        expect(pages[who.handle].locator("#connection-status")).to_have_text("Connected")
    seat = call(services.space_join, space=space, user=grace)
    call(services.speaker_invite, space=space, actor=ada, participant_id=seat.pk)
    call(services.invite_answer, participant=seat, accept=True)
    linus_seat = Participant.objects.get(space=space, user=linus)
    call(services.cohost_add, space=space, actor=ada, participant_id=linus_seat.pk)
    expect(pages["ada"].locator("#stage")).to_contain_text("Grace Hopper")

    on_stage = pages["ada"].locator("#stage .seat.speaker")
    on_stage.get_by_title("Actions for Grace Hopper").click()
    on_stage.get_by_role("button", name="Move to listeners").click()
    for page in pages.values():
        expect(page.locator("#stage")).not_to_contain_text("Grace Hopper")
        back = page.locator("#listeners .listener", has_text="Grace Hopper")
        expect(back).to_be_visible()
    # The co-host can act on her from the listener list, without a reload.
    back = pages["linus"].locator("#listeners .listener", has_text="Grace Hopper")
    back.get_by_title("Actions for Grace Hopper").click()
    expect(back.get_by_role("button", name="Invite to speak")).to_be_visible()


def test_an_audio_connection_that_never_comes_up_says_so_and_offers_try_again(
    browser, daphne_server, people
):
    # No media server runs in this test: offers go unanswered.
    space = live_space(people["ada"])
    page = open_as(browser, daphne_server)
    page.goto(space.get_absolute_url())
    dock(page).get_by_role("button", name="Listen", exact=True).click()
    status = page.locator("#audio-status")
    expect(status).to_contain_text("Audio could not connect", timeout=20_000)
    expect(status).to_contain_text("TURN")
    retry = page.get_by_role("button", name="Try again")
    expect(retry).to_be_visible()
    shot(page, "room-audio-failed-desktop")
    retry.click()
    expect(retry).to_be_hidden()
    expect(status).not_to_contain_text("could not connect")


def test_an_open_upcoming_page_becomes_the_live_room_and_start_now_opens_the_room(
    browser, daphne_server, people
):
    ada = people["ada"]
    space = space_schedule(
        host=ada, title="Difference engines", starts_at=timezone.now() + timedelta(hours=1)
    )
    visitor = open_as(browser, daphne_server, size="phone")
    visitor.goto(space.get_absolute_url())
    expect(visitor.get_by_text("Upcoming")).to_be_visible()
    expect(visitor.locator("#live-pill")).to_have_count(0)

    host = open_as(browser, daphne_server, ada)
    host.goto(space.get_absolute_url())
    host.get_by_role("button", name="Start now").click()
    expect(host).to_have_url(re.compile(rf"/s/{space.code}/$"))
    expect(host.get_by_role("button", name="End", exact=True)).to_be_visible()

    expect(visitor.locator("#live-pill")).to_be_visible(timeout=15_000)
    expect(visitor.locator("#connection-status")).to_have_text("Connected")
    expect(visitor.get_by_text("Upcoming")).to_have_count(0)


def test_hosts_pin_and_unpin_tweets_from_the_room(browser, daphne_server, people):
    ada = people["ada"]
    tweet_create(author=ada, text="Notes on the Analytical Engine")
    space = live_space(ada)
    host = open_as(browser, daphne_server, ada)
    listener = open_as(browser, daphne_server, size="phone")
    for page in (host, listener):
        page.goto(space.get_absolute_url())
        expect(page.locator("#connection-status")).to_have_text("Connected")
    expect(listener.locator("#pin-picker")).to_be_hidden()

    host.get_by_text("Pin a tweet").click()
    choice = host.locator("#pinnable li", has_text="Notes on the Analytical Engine")
    choice.get_by_role("button", name="Pin").click()
    pin = listener.locator("#pins")
    expect(pin).to_be_visible()
    expect(pin).to_contain_text("Notes on the Analytical Engine")
    expect(pin.get_by_role("button", name="Unpin")).to_have_count(0)
    shot(listener, "room-pinned-phone")

    host.locator("#pins").get_by_role("button", name="Unpin").click()
    expect(listener.locator("#pins")).to_be_hidden()


def test_open_pages_reconnect_and_catch_up_within_seconds_of_daphne_restarting(
    browser, daphne, people
):
    ada, grace = people["ada"], people["grace"]
    space = live_space(ada)
    host = open_as(browser, daphne["url"], ada)
    listener = open_as(browser, daphne["url"], size="phone")
    for page in (host, listener):
        page.goto(space.get_absolute_url())
        expect(page.locator("#connection-status")).to_have_text("Connected")

    def grace_comes_on_stage():
        # Nobody hears these events: the pages must catch up from a snapshot.
        seat = call(services.space_join, space=space, user=grace)
        call(services.speaker_invite, space=space, actor=ada, participant_id=seat.pk)
        call(services.invite_answer, participant=seat, accept=True)
        expect(listener.locator("#connection-status")).to_have_text(
            "Connection lost. Reconnecting…"
        )

    daphne["restart"](while_down=grace_comes_on_stage)

    # Back within 3 s of Daphne listening again (a margin of 1 s for a busy machine), with
    # what changed meanwhile, and without a reload.
    for page in (listener, host):
        expect(page.locator("#connection-status")).to_have_text("Connected", timeout=4_000)
        expect(page.locator("#stage")).to_contain_text("Grace Hopper")
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_the_room_is_warned_when_its_host_stays_away_and_hears_when_they_come_back(
    browser, daphne_server, people
):
    ada = people["ada"]
    space = live_space(ada)
    listener = open_as(browser, daphne_server, size="phone")
    listener.goto(space.get_absolute_url())
    expect(listener.locator("#connection-status")).to_have_text("Connected")
    host_seat = Participant.objects.get(space=space, user=ada)
    call(services.space_leave, participant=host_seat)
    Participant.objects.filter(pk=host_seat.pk).update(
        left_at=timezone.now() - timedelta(seconds=settings.HOST_AWAY_GRACE + 1)
    )

    call(services.space_host_away_warn, space_id=space.pk)

    notice = listener.locator("#ending-soon")
    expect(notice).to_be_visible()
    expect(listener.locator("#stage")).to_have_text("Nobody is on the stage right now.")
    expect(notice).to_contain_text("The host has left. This Space ends in")
    shot(listener, "room-host-away-phone")
    # A page opened during the warning sees it too (it comes with the snapshot).
    late = open_as(browser, daphne_server)
    late.goto(space.get_absolute_url())
    expect(late.locator("#ending-soon")).to_contain_text("This Space ends in")
    host = open_as(browser, daphne_server, ada)
    host.goto(space.get_absolute_url())
    expect(notice).to_be_hidden()

    host.close()
    Participant.objects.filter(pk=host_seat.pk).update(
        left_at=timezone.now() - timedelta(seconds=settings.HOST_AWAY_GRACE + 1)
    )
    call(services.space_host_away_warn, space_id=space.pk)
    expect(notice).to_be_visible()
    space.refresh_from_db()
    type(space).objects.filter(pk=space.pk).update(ending_at=timezone.now())
    call(services.space_host_away_end, space_id=space.pk)
    expect(listener.locator("#space-over")).to_contain_text("This Space has ended.")
    expect(notice).to_be_hidden()


def test_confirmations_open_in_the_middle_of_the_screen(browser, daphne_server, people, size):
    space = live_space(people["ada"])
    host = open_as(browser, daphne_server, people["ada"], size=size)
    host.goto(f"/spaces/{space.code}/manage/")
    host.get_by_role("button", name="End this Space for everyone").click()

    box = host.get_by_role("dialog").bounding_box()
    viewport = SIZES[size]
    middle = box["y"] + box["height"] / 2
    assert abs(middle - viewport["height"] / 2) < 40, box
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
