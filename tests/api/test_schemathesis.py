"""Schemathesis over /api/schema/: every operation, in process (WSGI), with a seeded
person's token so that writes run too. Zero server errors and zero schema violations:
each response's status, content type, headers and body must be what the schema says."""

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from rooms import services as rooms_services
from rooms.models import Space
from spaces_site.wsgi import application
from tests.factories import TweetFactory, UserFactory

TOKEN = "schemathesis-probe-token-0000000000000000"[:40]
SPACE_CODE = "probespace"

CONFIG = SchemathesisConfig.from_dict(
    {
        "headers": {"Authorization": f"Token {TOKEN}"},
        # Most generated values would name nothing; these name the seeded rows, so that
        # the services behind each operation run (and refuse) for real.
        "dictionaries": {
            "codes": {"values": [SPACE_CODE]},
            "handles": {"values": ["probe", "other"]},
        },
        "parameters": {
            "path.code": {"dictionary": "codes", "probability": 0.8},
            "path.handle": {"dictionary": "handles", "probability": 0.8},
        },
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
        "phases": {
            "examples": {"enabled": False},
            "stateful": {"enabled": False},
        },
        "generation": {"max-examples": 8, "deterministic": True},
    }
)

# Loaded at collection: one test per operation. The schema view reads no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def same_connection(db):
    """Keep the test's transaction across requests, as Django's test client does: the
    WSGI handler would otherwise close the connection when each request finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(same_connection):
    """The prober, another person with a tweet, and the prober's live Space."""
    probe = UserFactory(handle="probe")
    other = UserFactory(handle="other")
    Token.objects.create(user=probe, key=TOKEN)
    TweetFactory(author=other)
    space = rooms_services.space_create(host=probe, title="Probed show")
    Space.objects.filter(pk=space.pk).update(code=SPACE_CODE)
    return probe


@schema.parametrize()
@settings(
    max_examples=8,
    # Generous for a loaded 2-core machine: one in-process request takes ~20 ms.
    deadline=timedelta(seconds=5),
    database=None,  # no .hypothesis/ directory in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_as_its_schema_says(case, seeded):
    case.call_and_validate()
