"""A scheduled Space never started is let go some time after its start: not held."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from notifications.models import Notification
from rooms import services as rooms
from rooms.errors import SpaceError
from rooms.models import Space
from scheduling import services
from scheduling.tasks import mark_not_held
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _notified(user):
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("kind", "text", "url")
    )


def test_the_grace_period_is_two_hours_by_default_and_beat_scans_every_minute(settings):
    from spaces_site import celery
    from spaces_site import settings as site

    assert site.SPACE_NOT_HELD_AFTER == 2 * 3600
    assert services.not_held_after() == timedelta(hours=2)
    entry = settings.CELERY_BEAT_SCHEDULE["scheduling-mark-not-held"]
    assert entry == {"task": "scheduling.tasks.mark_not_held", "schedule": 60.0}
    assert entry["task"] in celery.app.tasks


def test_a_space_never_started_is_not_held_after_the_grace_period(
    settings, scheduled, host, fan, events, django_capture_on_commit_callbacks
):
    settings.SPACE_NOT_HELD_AFTER = 2 * 3600
    services.reminder_set(space=scheduled, user=fan)
    other = services.space_schedule(
        host=host, title="Later", starts_at=timezone.now() + timedelta(days=2)
    )
    seq = scheduled.seq

    with time_machine.travel(scheduled.scheduled_for, tick=False):
        services.reminders_deliver()  # the start: reminders ring, the host never comes
    Notification.objects.all().delete()
    events.clear()
    with time_machine.travel(scheduled.scheduled_for + timedelta(hours=1, minutes=59)):
        assert mark_not_held() == 0
    scheduled.refresh_from_db()
    assert scheduled.state == Space.State.SCHEDULED

    with (
        time_machine.travel(scheduled.scheduled_for + timedelta(hours=2, minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert mark_not_held() == 1

    scheduled.refresh_from_db()
    other.refresh_from_db()
    assert scheduled.state == Space.State.NOT_HELD
    assert scheduled.is_over
    assert other.state == Space.State.SCHEDULED
    url = scheduled.get_absolute_url()
    assert _notified(host) == [
        (
            "not_held",
            "Your Space “Tomorrow's show” was never started, so it did not take place.",
            url,
        )
    ]
    assert _notified(fan) == [
        ("not_held", "“Tomorrow's show” did not take place: its host never started it.", url)
    ]
    assert [e for e in events if e[0].startswith("space-")] == [
        (
            scheduled.group_name,
            {
                "type": "space.event",
                "event": "space.not_held",
                "seq": seq + 1,
                "data": {"state": "not_held"},
            },
        )
    ]
    assert scheduled.seq == seq + 1
    # Once is enough: the next scan finds nothing.
    with time_machine.travel(scheduled.scheduled_for + timedelta(hours=3)):
        assert mark_not_held() == 0
    assert Notification.objects.count() == 2


def test_a_not_held_space_leaves_the_directory_and_the_upcoming_lists(
    settings, client, scheduled, host
):
    from rooms.selectors import directory, hosted_by
    from scheduling.selectors import upcoming_hosted

    with time_machine.travel(scheduled.scheduled_for + timedelta(hours=3)):
        services.spaces_mark_not_held()

    assert directory()["upcoming"] == []
    assert hosted_by(host)["upcoming"] == []
    assert upcoming_hosted(host) == []
    assert "Tomorrow&#x27;s show" not in client.get("/spaces/").text
    assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_a_not_held_space_cannot_be_started_or_reminded(scheduled, host, fan):
    with time_machine.travel(scheduled.scheduled_for + timedelta(hours=3)):
        services.spaces_mark_not_held()

    with pytest.raises(SpaceError):
        rooms.space_start(space=scheduled, actor=host)
    with pytest.raises(SpaceError):
        services.reminder_set(space=scheduled, user=fan)


def test_the_notice_is_in_each_persons_language(scheduled, host):
    italian = UserFactory(handle="italo", language="it")
    services.reminder_set(space=scheduled, user=italian)

    with time_machine.travel(scheduled.scheduled_for + timedelta(hours=3)):
        services.spaces_mark_not_held()

    [text] = Notification.objects.filter(user=italian).values_list("text", flat=True)
    with translation.override("it"):
        expected = translation.gettext(
            "“%(title)s” did not take place: its host never started it."
        ) % {"title": scheduled.title}
    assert text == expected


def test_cancelling_tells_the_open_pages(scheduled, host, capture_events):
    with capture_events() as events:
        services.space_cancel(space=scheduled, actor=host)

    assert [e for e in events if e[0].startswith("space-")] == [
        (
            scheduled.group_name,
            {
                "type": "space.event",
                "event": "space.cancelled",
                "seq": 1,
                "data": {"state": "cancelled"},
            },
        )
    ]
    assert Space.objects.get(pk=scheduled.pk).seq == 1
