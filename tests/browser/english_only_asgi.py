"""The site for a Daphne process whose speech models caption English only: what a site
with the bundled English model and no multilingual one offers (tests/browser)."""

from captions import engine
from spaces_site.asgi import application  # noqa: F401 (what Daphne serves)

engine.languages = lambda: {"en"}
