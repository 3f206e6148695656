"""Replying on a tweet's page: the reply, the count and the empty note change in place."""

import pytest
from playwright.sync_api import expect

from tests.factories import TweetFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_reply_shows_up_with_the_new_count_and_no_empty_note_without_a_reload(page, alice):
    bob = UserFactory(handle="bob", display_name="Bob")
    question = TweetFactory(author=bob, text="Who has tried Spaces yet?")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    page.goto(question.get_absolute_url())
    focus = page.locator(".focus-tweet")
    replies = page.locator("#tweet-list .tweet")
    empty = page.get_by_text("No replies yet.")
    expect(empty).to_be_visible()
    expect(focus.get_by_role("link", name="0 replies")).to_be_visible()
    page.evaluate("window.__stillTheSamePage = true")

    page.get_by_placeholder("Post your reply").fill("I have, it works!")
    page.get_by_role("button", name="Reply").click()

    expect(replies.first).to_be_visible()
    expect(replies.first).to_contain_text("I have, it works!")
    expect(replies.first).to_contain_text("Replying to @bob")
    expect(empty).to_be_hidden()
    expect(focus.get_by_role("link", name="1 reply", exact=True)).to_be_visible()
    expect(page.get_by_placeholder("Post your reply")).to_have_value("")

    page.get_by_placeholder("Post your reply").fill("And again.")
    page.get_by_role("button", name="Reply").click()

    expect(replies).to_have_count(2)
    expect(replies.nth(1)).to_contain_text("And again.")
    expect(focus.get_by_role("link", name="2 replies")).to_be_visible()
    expect(empty).to_be_hidden()
    assert page.evaluate("window.__stillTheSamePage") is True  # no reload
