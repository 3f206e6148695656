"""Exactly once under real concurrency: two reminder scanners at once on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Notification
from scheduling import services
from scheduling.models import Reminder
from tests.concurrency import at_once
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="skip_locked needs PostgreSQL: CI runs this with DATABASE_URL set",
    ),
]


def test_two_scanners_at_once_deliver_every_reminder_exactly_once():
    host = UserFactory(handle="racehost")
    space = services.space_schedule(
        host=host, title="Race", starts_at=timezone.now() + timedelta(hours=1)
    )
    fans = [UserFactory(handle=f"fan{n}") for n in range(600)]
    Reminder.objects.bulk_create(
        Reminder(space=space, user=fan, due_at=timezone.now() - timedelta(seconds=1))
        for fan in fans
    )
    counts = at_once(*(lambda: services.reminders_deliver(batch=50) for _ in range(2)))

    assert sum(counts) == 600
    assert all(count > 0 for count in counts), counts  # both took a share
    assert Notification.objects.filter(kind="reminder").count() == 600
    assert set(Notification.objects.values_list("user_id", flat=True)) == {f.pk for f in fans}
    assert not Reminder.objects.filter(user__in=fans, sent_at__isnull=True).exists()
