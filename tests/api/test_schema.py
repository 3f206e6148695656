"""The OpenAPI schema says what the API answers: list wrappers, nested people, errors."""

import pytest


@pytest.fixture
def schema(api, db):
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _ok_schema(schema, path, method="get"):
    ref = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return schema["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[1]]


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("/api/spaces/", {"live", "upcoming"}),
        ("/api/notifications/", {"unread", "notifications"}),
        ("/api/users/{handle}/followers/", {"results"}),
        ("/api/users/{handle}/following/", {"results"}),
    ],
)
def test_lists_are_documented_with_their_wrappers(schema, path, keys):
    component = _ok_schema(schema, path)

    assert (component["type"], set(component["properties"])) == ("object", keys)
    assert set(component["required"]) == keys


def test_a_tweets_author_has_every_field_it_requires(schema, alice_api, alice):
    alice_api.post("/api/tweets/", {"text": "hello"}, format="json")
    person = schema["components"]["schemas"]["PersonOutput"]

    [tweet] = alice_api.get("/api/tweets/?author=alice").json()["results"]

    assert set(person["required"]) <= set(tweet["author"])


def test_every_operation_documents_its_errors(schema):
    responses = schema["paths"]["/api/spaces/{code}/pins/{tweet_id}/"]["delete"]["responses"]

    assert set(responses) == {"200", "400", "401", "403", "404", "413"}
    assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert "429" in schema["paths"]["/api/tweets/"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert "401" not in schema["paths"]["/api/auth/token/"]["post"]["responses"]
