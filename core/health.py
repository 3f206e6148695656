"""Checks behind /healthz: the database, Redis, the channel layer and a Celery worker."""

import asyncio
import contextlib

import redis
from asgiref.sync import async_to_sync
from celery import current_app as celery_app
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection


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


def check_channel_layer() -> None:
    # A message through this process's own layer, the one its sockets use: it proves the
    # layer reconnected after Redis came back (`make run`'s fault test relies on it).
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")

    async def round_trip():
        channel = await layer.new_channel("healthz.")
        receiving = asyncio.ensure_future(layer.receive(channel))
        try:
            await layer.send(channel, {"type": "healthz.ping"})
            return await asyncio.shield(receiving)
        finally:
            # Cancelling the receive is how a layer lets go of the channel.
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiving

    async def bounded():
        return await asyncio.wait_for(round_trip(), timeout=2.5)

    message = async_to_sync(bounded)()
    if message.get("type") != "healthz.ping":
        raise RuntimeError("the layer returned another message")


def check_celery() -> None:
    # The app spaces_site/celery.py makes current; core imports no layer above it.
    # limit=1: return as soon as one worker answers instead of waiting out the timeout.
    replies = celery_app.control.ping(timeout=1.0, limit=1)
    if not replies:
        raise RuntimeError("no worker answered")


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "channel_layer": check_channel_layer,
    "celery": check_celery,
}


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
