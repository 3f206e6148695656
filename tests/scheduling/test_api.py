from datetime import timedelta

import pytest
from django.utils import timezone

from rooms.models import Space
from scheduling.models import Reminder

pytestmark = pytest.mark.django_db


def test_the_api_schedules_edits_and_cancels(api, host, fan):
    api.force_authenticate(host)
    starts = timezone.now() + timedelta(days=2)

    created = api.post(
        "/api/spaces/scheduled/",
        {"title": "By API", "starts_at": starts.isoformat(), "topics": ["api"]},
        format="json",
    )
    assert created.status_code == 201
    code = created.json()["code"]
    assert created.json()["state"] == "scheduled"

    later = starts + timedelta(hours=1)
    edited = api.patch(
        f"/api/spaces/{code}/schedule/", {"starts_at": later.isoformat()}, format="json"
    )
    assert edited.status_code == 200
    assert Space.objects.get(code=code).scheduled_for == later

    api.force_authenticate(fan)
    refused = api.delete(f"/api/spaces/{code}/schedule/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_host"

    api.force_authenticate(host)
    cancelled = api.delete(f"/api/spaces/{code}/schedule/")
    assert cancelled.json()["state"] == "cancelled"


def test_the_api_refuses_a_start_too_far_ahead(api, host):
    api.force_authenticate(host)

    response = api.post(
        "/api/spaces/scheduled/",
        {"title": "Too far", "starts_at": (timezone.now() + timedelta(days=15)).isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "starts_at": ["A Space can be scheduled at most 14 days ahead."]
    }
    assert not Space.objects.exists()


def test_reminders_through_the_api(api, scheduled, fan, host):
    api.force_authenticate(fan)
    url = f"/api/spaces/{scheduled.code}/reminder/"

    assert api.put(url).json() == {"reminded": True, "reminders": 0}
    assert Reminder.objects.filter(user=fan).count() == 1
    api.force_authenticate(host)
    assert api.get(url).json() == {"reminded": True, "reminders": 1}
    api.force_authenticate(fan)
    assert api.delete(url).json() == {"reminded": False, "reminders": 0}
    assert not Reminder.objects.filter(user=fan).exists()


def test_a_reminder_on_an_ended_space_is_a_clear_400(api, scheduled, fan):
    Space.objects.filter(pk=scheduled.pk).update(state=Space.State.ENDED)
    api.force_authenticate(fan)

    response = api.put(f"/api/spaces/{scheduled.code}/reminder/")

    assert response.status_code == 400
    assert response.json()["detail"] == "This Space has ended or was cancelled."


def test_the_api_schedules_a_space_captioned_in_italian(api, host):
    api.force_authenticate(host)
    starts = timezone.now() + timedelta(days=1)

    created = api.post(
        "/api/spaces/scheduled/",
        {
            "title": "Domani",
            "starts_at": starts.isoformat(),
            "captions": True,
            "captions_language": "it",
        },
        format="json",
    )

    assert created.status_code == 201
    space = Space.objects.get(code=created.json()["code"])
    assert (space.captions, space.captions_language) == (True, "it")
