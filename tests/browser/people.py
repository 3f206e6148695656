"""Browser helpers for the people of a test."""

from playwright.sync_api import expect

from tests.factories import PASSWORD


def signed_in_page(browser, base_url, user):
    """A page of a fresh browser context, signed in as this person, on their home page."""
    context = browser.new_context(base_url=base_url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page
