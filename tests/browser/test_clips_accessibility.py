"""The clip pages checked with axe-core (WCAG 2.2 AA): the clip's page for its host, for
someone else and signed out, the cutter, and a live recorded Space's share tray with the
clip button; the cutter's refusal and a live clip's link shown (and checked) as people
see them; light and dark, on a phone."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from recordings.models import Clip
from rooms import services
from tests.browser.a11y import violations
from tests.browser.test_room_states import open_as
from tests.recordings.clipkit import tone_after, write_recording

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_clip_pages_have_no_serious_accessibility_problems(browser, daphne_server, scheme):
    call_command("seed_demo", verbosity=0)
    clip = Clip.objects.select_related("recording__space").get()
    ada, grace = User.objects.get(handle="ada"), User.objects.get(handle="grace")
    live = services.space_create(host=grace, title="Recorded, live", record=True)
    write_recording(live.pk, tone_after(8.0, 1.0), ended=False)
    cutter = f"/spaces/{clip.recording.space.code}/clips/new/"

    def refused_cut(page):
        """The cutter showing what is wrong: visible, and announced."""
        form = page.get_by_role("form", name="Clip this")
        form.get_by_label("Start (seconds)").fill("9999")
        form.get_by_role("button", name="Make the clip").click()
        expect(form.get_by_role("alert").first).to_be_visible()
        expect(form.get_by_role("alert").first).to_contain_text("must lie within the recording")

    def share_tray(page):
        page.get_by_role("button", name="Share").click()
        expect(page.get_by_role("button", name="Copy link")).to_be_visible()

    def live_clip(page):
        """The share tray after a live clip: its link shows in the tray."""
        share_tray(page)
        page.get_by_role("button", name="Clip the last 30 seconds").click()
        expect(page.get_by_role("link", name="Your clip is ready: open it")).to_be_visible()

    pages = {
        ada: [(clip.get_absolute_url(), None), (cutter, None), (cutter, refused_cut)],
        grace: [(clip.get_absolute_url(), None), ("/", None), (live.get_absolute_url(), live_clip)],
        None: [(clip.get_absolute_url(), None), (live.get_absolute_url(), share_tray)],
    }
    problems = {}
    for user, paths in pages.items():
        page = open_as(browser, daphne_server, user, size="phone", scheme=scheme)
        for path, then in paths:
            page.goto(path)
            if then is not None:
                then(page)
            found = violations(page)
            if found:
                problems[f"{user} {path} {then.__name__ if then else ''}"] = found
        page.context.close()
    assert problems == {}, "\n".join(
        f"{where}:\n  " + "\n  ".join(v) for where, v in problems.items()
    )
