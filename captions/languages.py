"""Which caption languages this site can make, for the pages and the API."""

from django.conf import settings

from captions import engine


def available_languages() -> set[str]:
    """The languages the configured speech models can caption (captions.engine says; an
    engine without `languages` bundles English and Italian): the one place that asks."""
    return set(getattr(engine, "languages", lambda: {"en", "it"})())


def language_choices() -> list[tuple[str, str]]:
    """The caption languages a host may choose (every language of the site)."""
    return list(settings.LANGUAGES)
