"""The Web Push control on Notifications → Settings, in browsers with and without Web Push."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _vapid_keys(monkeypatch):
    # Before the Daphne process starts: the page offers push only with a server key.
    monkeypatch.setenv("VAPID_PUBLIC_KEY", "BExampleExampleExampleExampleExampleExample")
    monkeypatch.setenv("VAPID_PRIVATE_KEY", "example")


def _settings_page(page):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto("/settings/notifications/")
    return page.get_by_role("region", name="Push notifications on this browser")


def test_a_browser_without_web_push_gets_a_sentence_and_no_button(page, alice):
    page.add_init_script("delete window.PushManager;")

    section = _settings_page(page)

    expect(section.get_by_text("This browser cannot receive push notifications.")).to_be_visible()
    expect(section.get_by_role("button")).to_have_count(0)
    expect(section.locator("button")).to_have_count(0)  # not even a hidden one


def test_a_browser_with_web_push_gets_the_button(page, alice):
    section = _settings_page(page)

    expect(section.get_by_role("button", name="Turn on push notifications here")).to_be_visible()
    expect(section.get_by_text("This browser cannot receive push notifications.")).to_have_count(0)
