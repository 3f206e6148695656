"""Redis down for a moment: people get a clear 503 that says to try again, never a 500."""

import pytest

from tests.factories import PASSWORD

# Nothing listens on port 1: connections are refused at once, as while Valkey restarts.
DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def redis_down(settings):
    # Django's setting_changed signal rebuilds the cache handlers from this.
    settings.CACHES = DOWN


def test_signing_in_while_redis_is_down_says_to_try_again(client, alice, redis_down):
    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Spaces is briefly unavailable" in response.text
    assert "Try again" in response.text


def test_the_api_answers_in_its_own_shape(api, alice, redis_down):
    response = api.post(
        "/api/auth/token/", {"username": alice.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
