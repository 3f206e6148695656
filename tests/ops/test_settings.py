"""Settings that a deployment or `make run` depends on, each read in a fresh process."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings

PROBE_REDIS_DOWN = """
import json, logging, time
import django
django.setup()
logging.disable(logging.CRITICAL)
from django.core.cache import cache
from core import events
from rooms import tasks

took = {}
start = time.monotonic()
try:
    cache.set("probe", 1)
except Exception as exc:
    took["cache_error"] = exc.__class__.__name__
took["cache"] = time.monotonic() - start

start = time.monotonic()
events.group_send("probe", {"type": "probe"})
took["channel_layer"] = time.monotonic() - start

start = time.monotonic()
try:
    tasks.sweep_presence.delay()
except Exception as exc:
    took["celery_error"] = exc.__class__.__name__
took["celery"] = time.monotonic() - start
print(json.dumps(took))
"""


def _run(code: str, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    for name in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "SITE_URL", "PORT"):
        environment.pop(name, None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


SHOW = "import django; django.setup(); from django.conf import settings; print({})"


def test_production_without_a_secret_key_refuses_to_start():
    result = _run(SHOW.format("settings.DEBUG"), DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    result = _run(SHOW.format("settings.DEBUG"), DJANGO_DEBUG="false", DJANGO_SECRET_KEY="k" * 60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_site_url_follows_the_port_make_run_serves():
    assert _run(SHOW.format("settings.SITE_URL"), PORT="8123").stdout.strip() == (
        "http://localhost:8123"
    )
    assert _run(SHOW.format("settings.SITE_URL")).stdout.strip() == "http://localhost:8000"
    given = _run(SHOW.format("settings.SITE_URL"), PORT="8123", SITE_URL="https://x.example")
    assert given.stdout.strip() == "https://x.example"


def _hung_redis():
    """A server that accepts connections and never answers: Redis stopped or overloaded."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, held


def test_while_redis_hangs_cache_channel_layer_and_celery_give_up_within_seconds():
    server, held = _hung_redis()
    port = server.getsockname()[1]
    try:
        started = time.monotonic()
        result = _run(PROBE_REDIS_DOWN, timeout=90, REDIS_URL=f"redis://127.0.0.1:{port}/0")
        elapsed = time.monotonic() - started
    finally:
        server.close()
        for connection in held:
            connection.close()

    assert result.returncode == 0, result.stderr[-2000:]
    took = json.loads(result.stdout.strip().splitlines()[-1])
    assert took["cache_error"] == "TimeoutError"
    assert took["celery_error"] == "OperationalError"
    assert max(took["cache"], took["channel_layer"], took["celery"]) < 5, took
    assert elapsed < 60
