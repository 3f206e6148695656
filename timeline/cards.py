"""Cards under tweets, from the apps above the timeline (which it never imports).

An app registers a provider in its AppConfig.ready: given the tweets of a page and the
viewer, it finds the links it knows in their text and returns, per tweet id, the cards
to show, each a dict with the `template` to include and what it needs. A provider reads
once per page, never once per tweet, and nothing when no tweet has a link of its own.
"""

from collections.abc import Callable, Iterable

Provider = Callable[..., dict[int, list[dict]]]

_providers: list[Provider] = []


def card_provider_register(provider: Provider) -> None:
    """Add a provider (once: registering it again changes nothing)."""
    if provider not in _providers:
        _providers.append(provider)


def cards_attach(tweets: Iterable, *, viewer) -> None:
    """Give each tweet its `cards` (a list, maybe empty) for `timeline/_tweet.html`."""
    tweets = [tweet for tweet in tweets if tweet is not None]
    for tweet in tweets:
        tweet.cards = []
    if not tweets:
        return
    for provider in _providers:
        found = provider(tweets=tweets, viewer=viewer)
        for tweet in tweets:
            tweet.cards.extend(found.get(tweet.pk, ()))
