import pytest

pytestmark = pytest.mark.django_db


def test_notifications_through_the_api(api, scheduled, fan):
    api.force_authenticate(fan)
    api.put(f"/api/spaces/{scheduled.code}/reminder/")
    api.force_authenticate(scheduled.host)
    api.delete(f"/api/spaces/{scheduled.code}/schedule/")

    api.force_authenticate(fan)
    listed = api.get("/api/notifications/").json()
    assert listed["unread"] == 1
    [notification] = listed["notifications"]
    assert notification["text"] == "“Tomorrow's show” was cancelled."
    assert notification["url"] == scheduled.get_absolute_url()

    marked = api.post("/api/notifications/read/", {}, format="json").json()
    assert marked == {"marked": 1, "unread": 0}
