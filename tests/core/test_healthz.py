import os
import subprocess
import sys
import time

import pytest

from spaces_site.celery import app as celery_app


@pytest.fixture
def celery_worker_process():
    """A real Celery worker on the test broker, stopped after the test."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "spaces_site",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "-n",
            f"healthz-{os.getpid()}@%h",
        ],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not celery_app.control.ping(timeout=0.5, limit=1):
        if time.monotonic() > deadline or worker.poll() is not None:
            worker.kill()
            pytest.fail("The Celery worker did not answer within 30 s")
    yield worker
    worker.terminate()
    worker.wait(timeout=15)


def test_it_reports_ok_when_everything_answers(client, db, celery_worker_process):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "channel_layer": "ok", "celery": "ok"},
        "down": [],
    }


def test_it_names_celery_when_no_worker_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["celery"]
    assert response.json()["checks"]["celery"] == "down: RuntimeError: no worker answered"


def test_it_names_redis_when_redis_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["celery", "redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["celery"] == "down: the broker (Redis) is down"
