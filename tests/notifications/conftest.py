from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import services
from tests.factories import UserFactory


@pytest.fixture
def fan(db):
    return UserFactory(handle="fan", display_name="Fran Fan")


@pytest.fixture
def scheduled(host):
    return services.space_schedule(
        host=host, title="Tomorrow's show", starts_at=timezone.now() + timedelta(days=1)
    )
