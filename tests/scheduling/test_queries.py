"""Query counts pinned on the scheduling and notification selectors: the same number for
few and many rows. (The notification selectors move to the notifications app.)"""

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import selectors, services
from scheduling.models import Notification


@pytest.mark.parametrize("count", [2, 5])
def test_upcoming_hosted_is_two_queries(count, host, django_assert_num_queries):
    for n in range(count):
        services.space_schedule(
            host=host,
            title=f"Show {n}",
            starts_at=timezone.now() + timedelta(hours=n + 1),
            topics=[f"t{n}", "shared"],
        )

    with django_assert_num_queries(2):
        cards = [
            (space.title, space.host.name, [t.name for t in space.topics.all()])
            for space in selectors.upcoming_hosted(host)
        ]

    assert [card[0] for card in cards] == [f"Show {n}" for n in range(count)]


def _notifications(user, count: int) -> None:
    Notification.objects.bulk_create(
        Notification(user=user, kind=Notification.Kind.REMINDER, text=f"Note {n}", url="/")
        for n in range(count)
    )


@pytest.mark.parametrize("count", [2, 5])
def test_the_notifications_list_is_one_query(count, fan, django_assert_num_queries):
    _notifications(fan, count)

    with django_assert_num_queries(1):
        shown = [(n.text, n.url, n.read_at, n.created_at) for n in selectors.notifications(fan)]

    assert [text for text, *_rest in shown] == [f"Note {n}" for n in reversed(range(count))]


@pytest.mark.parametrize("count", [2, 5])
def test_the_unread_count_is_one_query(count, fan, django_assert_num_queries):
    _notifications(fan, count)
    Notification.objects.filter(text="Note 0").update(read_at=timezone.now())

    with django_assert_num_queries(1):
        unread = selectors.unread_count(fan)

    assert unread == count - 1
