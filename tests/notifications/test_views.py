import pytest

from notifications.models import Notification
from scheduling import services as scheduling

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "-3", "abc", "9" * 40])
def test_odd_numbers_in_notification_urls_are_no_500(client, fan, value):
    client.force_login(fan)

    assert client.get(f"/notifications/?before={value}").status_code == 200
    response = client.post("/notifications/read/", {"id": value}, follow=True)
    assert "There is no such notification." in response.text
    assert client.get(f"/api/notifications/?before={value}").status_code == 200


def test_the_notifications_page_and_the_bell(client, scheduled, fan):
    scheduling.reminder_set(space=scheduled, user=fan)
    scheduling.space_cancel(space=scheduled, actor=scheduled.host)
    client.force_login(fan)

    page = client.get("/notifications/")
    assert "“Tomorrow&#x27;s show” was cancelled." in page.text
    assert 'id="unread-badge" aria-live="polite">1</span>' in page.text

    page = client.post("/notifications/read/", follow=True)
    assert 'id="unread-badge" hidden aria-live="polite">0</span>' in page.text
    assert not Notification.objects.filter(user=fan, read_at__isnull=True).exists()
