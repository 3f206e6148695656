"""Two crawlers fetch a promo card that is not drawn yet, at the same moment (PostgreSQL)."""

import io
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from PIL import Image

from scheduling import services
from scheduling.models import Promotion
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
    barrier = threading.Barrier(2)
    answers = []

    def crawl():
        try:
            barrier.wait()
            answers.append(Client().get(f"/spaces/{space.code}/card.png"))
        finally:
            connections.close_all()

    crawlers = [threading.Thread(target=crawl) for _ in range(2)]
    for crawler in crawlers:
        crawler.start()
    for crawler in crawlers:
        crawler.join(timeout=30)

    assert [answer.status_code for answer in answers] == [200, 200]
    for answer in answers:
        assert answer["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(answer.content)).size == (1200, 630)
    assert not Promotion.objects.filter(space=space).exists()  # a GET wrote nothing
