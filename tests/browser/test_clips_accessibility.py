"""The clip pages checked with axe-core (WCAG 2.2 AA): the clip's page for its host, for
someone else and signed out, the cutter, and a live recorded Space's share tray with the
clip button; light and dark, on a phone."""

import pytest
from django.core.management import call_command

from accounts.models import User
from recordings.models import Clip
from rooms import services
from tests.browser.a11y import violations
from tests.browser.test_room_states import open_as

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_clip_pages_have_no_serious_accessibility_problems(browser, daphne_server, scheme):
    call_command("seed_demo", verbosity=0)
    clip = Clip.objects.select_related("recording__space").get()
    ada, grace = User.objects.get(handle="ada"), User.objects.get(handle="grace")
    live = services.space_create(host=grace, title="Recorded, live", record=True)
    pages = {
        ada: [clip.get_absolute_url(), f"/spaces/{clip.recording.space.code}/clips/new/"],
        grace: [clip.get_absolute_url(), "/"],
        None: [clip.get_absolute_url(), live.get_absolute_url()],
    }
    problems = {}
    for user, paths in pages.items():
        page = open_as(browser, daphne_server, user, size="phone", scheme=scheme)
        for path in paths:
            page.goto(path)
            if path == live.get_absolute_url():
                page.get_by_role("button", name="Share").click()
            found = violations(page)
            if found:
                problems[f"{user} {path}"] = found
        page.context.close()
    assert problems == {}, "\n".join(
        f"{where}:\n  " + "\n  ".join(v) for where, v in problems.items()
    )
