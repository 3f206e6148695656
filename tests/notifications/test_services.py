import pytest

from notifications import services as notifications
from notifications.models import Notification
from scheduling import services as scheduling

pytestmark = pytest.mark.django_db


def test_marking_notifications_read(fan, scheduled):
    scheduling.reminder_set(space=scheduled, user=fan)
    scheduling.space_cancel(space=scheduled, actor=scheduled.host)
    [notification] = Notification.objects.filter(user=fan)

    assert notifications.notifications_mark_read(user=scheduled.host) == 0  # not theirs
    assert notifications.notifications_mark_read(user=fan, notification_id=notification.pk) == 1
    notification.refresh_from_db()
    assert notification.read_at is not None
