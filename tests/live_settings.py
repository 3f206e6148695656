"""Settings for the Daphne process that browser tests start: the suite's own tweaks."""

from spaces_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# No captions feed unless the test gives one (see tests/conftest.py, pytest_configure).
CAPTIONS_FEED_ADDRESS = env.str("CAPTIONS_FEED_ADDRESS", default="")  # noqa: F405
