"""A new person in a real browser: sign up, follow, tweet, read the timeline, switch language."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_new_person_signs_up_follows_tweets_and_switches_to_italian(page):
    call_command("seed_demo", verbosity=0)
    csp_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and csp_violations.append(message.text)
        ),
    )

    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Handle").fill("newcomer")
    page.get_by_label("Password:", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password (again):").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    page.goto("/@ada/")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(page.locator(".counts")).to_contain_text("4 Followers")

    page.goto("/")
    page.evaluate("window.__stillTheSamePage = true")
    page.get_by_placeholder("What is happening?").fill("Hello from a real browser! @ada")
    expect(page.locator("#compose-counter")).to_have_text("249")
    page.get_by_role("button", name="Tweet").click()

    tweets = page.locator("#tweet-list .tweet")
    expect(tweets.first).to_contain_text("Hello from a real browser!")
    expect(page.get_by_placeholder("What is happening?")).to_have_value("")
    assert page.evaluate("window.__stillTheSamePage") is True  # no reload
    page.reload()
    expect(tweets.first).to_contain_text("Hello from a real browser!")
    expect(page.locator("#tweet-list")).to_contain_text("Hosting a Space on the Analytical Engine")
    expect(tweets.first.get_by_role("link", name="@ada")).to_have_attribute("href", "/@ada/")

    page.get_by_label("Language").select_option("it")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_role("link", name="Profilo")).to_be_visible()
    expect(page.get_by_role("button", name="Pubblica")).to_be_visible()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()

    assert csp_violations == []


def test_an_empty_tweet_shows_the_error_in_place(page, alice):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    page.get_by_placeholder("What is happening?").fill("   ")
    page.get_by_role("button", name="Tweet").click()

    expect(page.get_by_role("alert")).to_have_text("Write something first.")
    expect(page.locator("#tweet-list .tweet")).to_have_count(0)
