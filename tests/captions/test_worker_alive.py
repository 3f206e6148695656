"""Whether the page knows the captions worker is running: its heartbeat in Redis."""

import pytest
import redis
from django.conf import settings
from django.template import Context, Template

from captions.templatetags import captions_live
from captions.worker import ALIVE_KEY


@pytest.fixture
def client_redis():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(ALIVE_KEY)
    captions_live._redis = None
    yield client
    client.delete(ALIVE_KEY)
    client.close()
    captions_live._redis = None


def rendered() -> str:
    return Template("{% load captions_live %}{% include 'captions/_live.html' %}").render(
        Context({})
    )


def test_a_running_worker_is_alive(client_redis):
    client_redis.set(ALIVE_KEY, "1", px=3000)

    assert captions_live.captions_worker_alive() is True
    assert 'data-worker="down"' not in rendered()


def test_no_heartbeat_the_page_says_captions_are_unavailable(client_redis):
    assert captions_live.captions_worker_alive() is False
    assert 'data-worker="down"' in rendered()
    assert "Captions are unavailable right now." in rendered()


def test_when_redis_cannot_tell_nothing_is_said(client_redis, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    assert captions_live.captions_worker_alive() is None
    assert 'data-worker="down"' not in rendered()
