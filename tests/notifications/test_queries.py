"""Query counts pinned on the notification selectors: the same number for few and many rows."""

import pytest
from django.utils import timezone

from notifications import selectors
from notifications.models import Notification


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
