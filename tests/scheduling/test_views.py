from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from rooms.models import Space
from scheduling import services
from scheduling.models import Reminder

pytestmark = pytest.mark.django_db


def test_the_host_schedules_a_space_in_their_zone(client, host):
    with time_machine.travel(datetime(2027, 3, 27, 11, 0, tzinfo=UTC), tick=False):
        client.force_login(host)  # a session from before the trip would have expired
        response = client.post(
            "/spaces/schedule/",
            {
                "title": "Sunday noon",
                "topics": "jazz",
                "starts_at": "2027-03-28T12:00",
                "time_zone": "Europe/Rome",
                "speak_policy": "everyone",
            },
            follow=True,
        )

    space = Space.objects.get()
    assert space.scheduled_for == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)
    assert "Your Space is scheduled." in response.text
    assert "1 person set a reminder." not in response.text
    assert "0 people set a reminder." in response.text


@pytest.mark.parametrize(
    ("starts_at", "error"),
    [
        ("2027-03-28T02:30", "02:30 does not exist in Europe/Rome"),
        ("2027-03-20T12:00", "Pick a time in the future."),
        ("2027-04-20T12:00", "at most 14 days ahead"),
        ("tomorrow", "Enter a valid date/time."),
    ],
)
def test_bad_start_times_are_explained_on_the_form(client, host, starts_at, error):
    with time_machine.travel(datetime(2027, 3, 27, 11, 0, tzinfo=UTC), tick=False):
        client.force_login(host)  # a session from before the trip would have expired
        response = client.post(
            "/spaces/schedule/",
            {
                "title": "Nope",
                "starts_at": starts_at,
                "time_zone": "Europe/Rome",
                "speak_policy": "everyone",
            },
        )

    assert response.status_code == 200
    assert error in response.text
    assert not Space.objects.exists()


def test_the_upcoming_page_shows_the_start_in_the_viewers_zone(client, host, fan):
    with time_machine.travel(datetime(2027, 3, 27, 11, 0, tzinfo=UTC), tick=False):
        space = services.space_schedule(
            host=host, title="Sunday", starts_at=datetime(2027, 3, 28, 10, 0, tzinfo=UTC)
        )
        client.force_login(fan)  # a session from before the trip would have expired
        client.cookies["tz"] = "Asia/Tokyo"

        response = client.get(space.get_absolute_url())

    # 10:00 UTC is 19:00 in Tokyo: the sentence says so, not the server's time.
    assert "Starts March 28, 2027, 7 p.m. (JST)." in response.text
    assert "Set reminder" in response.text


def test_a_person_sets_and_removes_a_reminder_with_htmx(client, scheduled, fan):
    client.force_login(fan)
    url = f"/spaces/{scheduled.code}/reminder/"

    response = client.post(url, {"remind": "on"}, headers={"HX-Request": "true"})
    assert "Reminder set" in response.text
    assert Reminder.objects.filter(user=fan, space=scheduled).count() == 1

    response = client.post(url, {"remind": "off"}, headers={"HX-Request": "true"})
    assert "Set reminder" in response.text
    assert not Reminder.objects.filter(user=fan).exists()


def test_a_reminder_on_a_cancelled_space_is_refused_with_a_reason(client, scheduled, fan):
    services.space_cancel(space=scheduled, actor=scheduled.host)
    client.force_login(fan)

    response = client.post(
        f"/spaces/{scheduled.code}/reminder/", {"remind": "on"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    assert "This Space has ended or was cancelled." in response.text
    assert not Reminder.objects.filter(user=fan).exists()


def test_the_reminder_form_never_sends_people_to_another_site(client, scheduled, fan):
    client.force_login(fan)

    response = client.post(
        f"/spaces/{scheduled.code}/reminder/",
        {"remind": "on", "next": "https://evil.example/phish"},
    )

    assert response.url == scheduled.get_absolute_url()


def test_the_directory_offers_reminders_for_upcoming_spaces(client, scheduled, fan):
    services.reminder_set(space=scheduled, user=fan)
    client.force_login(fan)

    response = client.get("/spaces/")

    assert "Reminder set" in response.text


def test_only_the_host_can_edit(client, scheduled, fan):
    client.force_login(fan)

    assert client.get(f"/spaces/{scheduled.code}/edit/").status_code == 404
    assert client.post(f"/spaces/{scheduled.code}/cancel/").status_code == 404
    scheduled.refresh_from_db()
    assert scheduled.state == Space.State.SCHEDULED


def test_the_host_edits_and_cancels(client, scheduled, host):
    client.force_login(host)
    new_time = timezone.localtime(scheduled.scheduled_for + timedelta(hours=1), UTC)

    response = client.post(
        f"/spaces/{scheduled.code}/edit/",
        {
            "title": "Moved",
            "topics": "",
            "starts_at": f"{new_time:%Y-%m-%dT%H:%M}",
            "time_zone": "UTC",
        },
        follow=True,
    )
    assert "Your Space is updated." in response.text
    scheduled.refresh_from_db()
    assert scheduled.title == "Moved"

    response = client.post(f"/spaces/{scheduled.code}/cancel/", follow=True)
    assert "The Space is cancelled" in response.text
    scheduled.refresh_from_db()
    assert scheduled.state == Space.State.CANCELLED


def test_the_hosts_profile_shows_the_upcoming_space_with_a_countdown(client, scheduled, fan):
    client.force_login(fan)

    page = client.get(f"/@{scheduled.host.handle}/")

    assert "Upcoming Spaces" in page.text
    assert "Tomorrow&#x27;s show" in page.text
    assert f'data-countdown="{scheduled.scheduled_for.isoformat()}' in page.text
    assert "Set reminder" in page.text


def test_the_dashboard_shows_reminder_counts_in_one_query(
    client, host, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    spaces = [
        services.space_schedule(
            host=host, title=f"Show {n}", starts_at=timezone.now() + timedelta(days=n + 1)
        )
        for n in range(3)
    ]
    for n, space in enumerate(spaces):
        for fan in UserFactory.create_batch(n):
            services.reminder_set(space=space, user=fan)
    client.force_login(host)
    client.get("/spaces/mine/")

    with django_assert_max_num_queries(14):
        page = client.get("/spaces/mine/")

    assert "0 reminders" in page.text
    assert "1 reminder<" in page.text
    assert "2 reminders" in page.text
