"""The card hook: apps above the timeline give tweets cards without the timeline importing
them; each provider is asked once per page."""

import pytest

from tests.factories import TweetFactory
from timeline import cards, selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.setattr(cards, "_providers", [])
    calls = []

    def shout(*, tweets, viewer):
        calls.append([tweet.pk for tweet in tweets])
        return {t.pk: [{"template": "x.html", "text": t.text}] for t in tweets if "!" in t.text}

    cards.card_provider_register(shout)
    cards.card_provider_register(shout)  # once only
    return calls


def test_each_provider_is_asked_once_per_page(alice, provider):
    loud = TweetFactory(author=alice, text="Hello!")
    quiet = TweetFactory(author=alice, text="hello")

    page = selectors.home_timeline(user=alice)

    assert provider == [[quiet.pk, loud.pk]]
    assert {t.pk: t.cards for t in page.tweets} == {
        loud.pk: [{"template": "x.html", "text": "Hello!"}],
        quiet.pk: [],
    }


def test_an_empty_page_asks_no_provider(alice, provider):
    assert selectors.home_timeline(user=alice).tweets == []
    assert provider == []
