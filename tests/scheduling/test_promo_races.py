"""Two crawlers fetch a promo card that is not drawn yet, at the same moment (PostgreSQL)."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from scheduling import services
from scheduling.models import Promotion
from tests.concurrency import at_once
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL: CI runs this with DATABASE_URL set",
    ),
]


def test_two_first_requests_at_once_both_get_the_image_and_write_nothing():
    host = UserFactory(handle="crawled")
    space = services.space_schedule(
        host=host, title="Crawled", starts_at=timezone.now() + timedelta(hours=3)
    )
    # As before the drawing task has run (or for a Space from before promo cards).
    Promotion.objects.filter(space=space).delete()
    url = f"/spaces/{space.code}/card.png"
    answers = at_once(*(lambda: Client().get(url) for _ in range(2)), timeout=30)

    assert [answer.status_code for answer in answers] == [200, 200]
    for answer in answers:
        assert answer["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(answer.content)).size == (1200, 630)
    assert not Promotion.objects.filter(space=space).exists()  # a GET wrote nothing
