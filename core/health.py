"""Checks behind /healthz: the database, Redis and a Celery worker."""

import redis
from django.conf import settings
from django.db import connection

from spaces_site.celery import app as celery_app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def check_celery() -> None:
    # limit=1: return as soon as one worker answers instead of waiting out the timeout.
    replies = celery_app.control.ping(timeout=1.0, limit=1)
    if not replies:
        raise RuntimeError("no worker answered")


CHECKS = {"database": check_database, "redis": check_redis, "celery": check_celery}


def run_checks() -> dict[str, str]:
    """Run every check; map each name to "ok" or the reason it failed."""
    results = {}
    for name, check in CHECKS.items():
        if name == "celery" and results.get("redis") != "ok":
            # The broker is Redis: a ping through a dead broker would only hang on retries.
            results[name] = "down: the broker (Redis) is down"
            continue
        try:
            check()
        except Exception as exc:  # a health check reports any failure, whatever its kind
            results[name] = f"down: {exc.__class__.__name__}: {exc}"[:200]
        else:
            results[name] = "ok"
    return results
