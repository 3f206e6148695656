"""Which caption languages this site can make, for the pages and the API."""

from captions import engine


def available_languages() -> set[str]:
    """The languages the configured speech models can caption (captions.engine says; an
    engine without `languages` bundles English and Italian): the one place that asks."""
    return set(getattr(engine, "languages", lambda: {"en", "it"})())
