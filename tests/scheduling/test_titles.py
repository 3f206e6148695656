"""One title rule (Space.clean_title) for creating and editing, on every interface."""

from datetime import UTC, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rooms.models import Space
from scheduling import services

pytestmark = pytest.mark.django_db

BAD_TITLES = [
    ("Two\nlines", "A title is one line of text."),
    ("Tab\there", "A title is one line of text."),
    ("   ", "Give your Space a title."),
    ("x" * 71, "A title is at most 70 characters; this one has 71."),
]


@pytest.mark.parametrize(("title", "message"), BAD_TITLES)
def test_the_rule_on_the_model(title, message):
    with pytest.raises(ValidationError) as error:
        Space.clean_title(title)
    assert error.value.messages == [message]


def test_the_rule_trims_a_good_title():
    assert Space.clean_title("  Jazz at noon ") == "Jazz at noon"


# (A blank title never reaches the rule there: DRF refuses it as a blank field.)
@pytest.mark.parametrize(("title", "message"), [bad for bad in BAD_TITLES if bad[0].strip()])
def test_the_api_edit_refuses_what_creating_refuses(api, scheduled, host, title, message):
    api.force_authenticate(host)

    edited = api.patch(f"/api/spaces/{scheduled.code}/schedule/", {"title": title}, format="json")
    created = api.post(
        "/api/spaces/scheduled/",
        {"title": title, "starts_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )

    assert edited.status_code == 400
    assert edited.json()["errors"] == {"title": [message]}
    assert created.status_code == 400
    assert created.json()["errors"] == {"title": [message]}
    scheduled.refresh_from_db()
    assert scheduled.title == "Tomorrow's show"
    assert Space.objects.count() == 1


def test_the_edit_service_refuses_a_line_break(scheduled, host):
    with pytest.raises(ValidationError) as error:
        services.space_reschedule(space=scheduled, actor=host, title="Two\nlines")

    assert error.value.message_dict == {"title": ["A title is one line of text."]}
    scheduled.refresh_from_db()
    assert scheduled.title == "Tomorrow's show"


def test_the_edit_page_refuses_a_line_break(client, scheduled, host):
    client.force_login(host)
    starts = timezone.localtime(scheduled.scheduled_for, UTC)

    response = client.post(
        f"/spaces/{scheduled.code}/edit/",
        {
            "title": "Two\r\nlines",
            "topics": "",
            "starts_at": f"{starts:%Y-%m-%dT%H:%M}",
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 200
    assert "A title is one line of text." in response.text
    scheduled.refresh_from_db()
    assert scheduled.title == "Tomorrow's show"


def test_the_schedule_page_refuses_a_line_break(client, host):
    client.force_login(host)
    starts = timezone.localtime(timezone.now() + timedelta(days=1), UTC)

    response = client.post(
        "/spaces/schedule/",
        {
            "title": "Two\nlines",
            "starts_at": f"{starts:%Y-%m-%dT%H:%M}",
            "time_zone": "UTC",
            "speak_policy": "everyone",
        },
    )

    assert "A title is one line of text." in response.text
    assert not Space.objects.exists()
