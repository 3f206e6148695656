"""Every page people open, checked with axe-core for WCAG 2.2 AA: no serious or critical
violation, in English and Italian, in light and dark."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from rooms import services
from scheduling.services import space_schedule
from tests.browser.a11y import violations
from tests.browser.test_room_states import open_as
from timeline.models import Tweet

pytestmark = pytest.mark.browser


@pytest.fixture
def site(daphne_server):
    """Demo people, a live Space with a speaker, an upcoming one and an ended one."""
    call_command("seed_demo", verbosity=0)
    ada, grace = User.objects.get(handle="ada"), User.objects.get(handle="grace")
    live = services.space_create(host=ada, title="Engines and poetry", topics=["history"])
    seat = services.space_join(space=live, user=grace)
    services.speaker_invite(space=live, actor=ada, participant_id=seat.pk)
    services.invite_answer(participant=seat, accept=True)
    upcoming = space_schedule(
        host=grace, title="Compilers at dawn", starts_at=timezone.now() + timedelta(days=1)
    )
    ended = services.space_create(host=grace, title="Yesterday's talk")
    services.space_end(space=ended, actor=grace)
    return {
        "ada": ada,
        "live": live.get_absolute_url(),
        "upcoming": upcoming.get_absolute_url(),
        "ended": ended.get_absolute_url(),
        "edit": f"/spaces/{upcoming.code}/edit/",
        "tweet": Tweet.objects.filter(author=ada).first().get_absolute_url(),
    }


SIGNED_IN = [
    "/",
    "/spaces/",
    "/spaces/mine/",
    "/spaces/new/",
    "/spaces/schedule/",
    "/notifications/",
    "/settings/notifications/",
    "/@ada/",
    "/@ada/followers/",
    "/settings/profile/",
    "live",
    "upcoming",
    "ended",
    "tweet",
]
ANONYMOUS = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/spaces/",
    "live",
    "upcoming",
    "/no-such-page/",
]


@pytest.mark.parametrize("locale", ["en-US", "it-IT"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_has_serious_accessibility_problems(browser, daphne_server, site, locale, scheme):
    problems = {}
    for who, paths in (("ada", SIGNED_IN), ("anonymous", ANONYMOUS)):
        user = site["ada"] if who == "ada" else None
        page = open_as(browser, daphne_server, user, scheme=scheme, locale=locale)
        page.set_extra_http_headers({"Accept-Language": locale})
        for path in paths:
            page.goto(site.get(path, path))
            if path == "live":
                expect(page.locator("#stage .seat")).to_have_count(2)
            found = violations(page)
            if found:
                problems[f"{who} {path}"] = found
        page.context.close()
    assert problems == {}, "\n".join(
        f"{where}:\n  " + "\n  ".join(v) for where, v in problems.items()
    )
