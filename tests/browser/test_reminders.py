"""A reminder in the browser: set it, and the bell rises live when it comes due."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Notification
from scheduling import services
from scheduling.models import Reminder
from tests.browser.test_live_space import _signed_in

pytestmark = pytest.mark.browser


def _deliver():
    try:
        return services.reminders_deliver()
    finally:
        connections.close_all()


def test_a_reminder_set_in_the_page_rings_the_bell_live_when_due(browser, daphne_server):
    call_command("seed_demo", verbosity=0)
    # The demo's own news (Ada's recorded Space went live) is read: the bell starts empty.
    Notification.objects.update(read_at=timezone.now())
    host = _signed_in(browser, daphne_server, "ada")
    host.goto("/spaces/schedule/")
    host.get_by_label("Title").fill("Analytical engines")
    starts = timezone.localtime(timezone.now() + timedelta(hours=2))
    host.get_by_label("Starts at").fill(f"{starts:%Y-%m-%dT%H:%M}")
    host.get_by_label("Time zone").select_option(str(starts.tzinfo))
    host.get_by_role("button", name="Schedule", exact=True).click()
    expect(host.get_by_text("Your Space is scheduled.")).to_be_visible()
    expect(host.locator(".countdown")).to_contain_text("in 2 hours")
    link = host.url

    fan = _signed_in(browser, daphne_server, "grace")
    fan.goto(link)
    expect(fan.locator("#unread-badge")).to_be_hidden()
    fan.get_by_role("button", name="Set reminder").click()
    expect(fan.get_by_role("button", name="Reminder set")).to_be_visible()
    expect(host.locator("body")).to_be_visible()
    host.reload()
    expect(host.get_by_text("1 person set a reminder.")).to_be_visible()

    # The start comes: the beat scan delivers, and the open page hears without a reload.
    grace = User.objects.get(handle="grace")
    Reminder.objects.filter(user=grace, space__title="Analytical engines").update(
        due_at=timezone.now()
    )
    # In a thread of its own, like a Celery worker: Playwright keeps an event loop on this
    # one, where the channel layer's async_to_sync cannot run.
    with ThreadPoolExecutor(1) as worker:
        assert worker.submit(_deliver).result() == 1

    expect(fan.locator("#unread-badge")).to_have_text("1")
    fan.get_by_role("link", name="Notifications").click()
    notification = fan.get_by_role("link", name="“Analytical engines” is starting now.")
    expect(notification).to_be_visible()
    notification.click()
    expect(fan).to_have_url(re.compile(re.escape(link) + "$"))
