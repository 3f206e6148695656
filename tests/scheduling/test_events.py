"""The exact events the scheduling services send, all of them and in order: the Space's
room (an Upcoming page waits on its socket) and each reminded person's own group."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from notifications.models import Notification
from rooms.models import Space
from scheduling import services
from tests.factories import UserFactory


def seq_of(space) -> int:
    return Space.objects.values_list("seq", flat=True).get(pk=space.pk)


def told(user, text: str, kind: str) -> tuple[str, dict]:
    """The `notification.new` event that the person's pages get for their notification."""
    notification = Notification.objects.get(user=user, kind=kind)
    assert notification.text == text
    return (
        user.group_name,
        {
            "type": "notification.new",
            "kind": kind,
            "text": text,
            "url": notification.url,
            "data": {"id": notification.pk},
        },
    )


def test_cancelling_tells_the_room_then_everyone_with_a_reminder(
    scheduled, host, fan, capture_events
):
    other = UserFactory(handle="other", display_name="Otto")
    services.reminder_set(space=scheduled, user=fan)
    services.reminder_set(space=scheduled, user=other)
    seq = seq_of(scheduled)

    with capture_events() as events:
        services.space_cancel(space=scheduled, actor=host)

    text = "“Tomorrow's show” was cancelled."
    assert events == [
        (
            scheduled.group_name,
            {
                "type": "space.event",
                "event": "space.cancelled",
                "seq": seq + 1,
                "data": {"state": "cancelled"},
            },
        ),
        told(fan, text, "cancelled"),
        told(other, text, "cancelled"),
    ]


def test_a_new_time_tells_everyone_with_a_reminder_and_not_the_room(
    scheduled, host, fan, capture_events
):
    services.reminder_set(space=scheduled, user=fan)
    seq = seq_of(scheduled)

    with capture_events() as events:
        services.space_reschedule(
            space=scheduled, actor=host, starts_at=scheduled.scheduled_for + timedelta(hours=2)
        )

    [notification] = Notification.objects.filter(user=fan)
    assert notification.text.startswith("“Tomorrow's show” now starts ")
    assert events == [told(fan, notification.text, "changed")]
    assert seq_of(scheduled) == seq


def test_a_new_title_alone_sends_nothing(scheduled, host, fan, capture_events):
    services.reminder_set(space=scheduled, user=fan)

    with capture_events() as events:
        services.space_reschedule(space=scheduled, actor=host, title="Renamed")

    assert events == []


def test_due_reminders_ring_each_person_once_in_one_batch(scheduled, host, fan, capture_events):
    other = UserFactory(handle="other", display_name="Otto")
    services.reminder_set(space=scheduled, user=fan)
    services.reminder_set(space=scheduled, user=other)

    with (
        time_machine.travel(scheduled.scheduled_for, tick=False),
        capture_events() as events,
    ):
        services.reminders_deliver()
        services.reminders_deliver()  # a second scan finds nothing left to send

    # The host's 30-minute notice is skipped once it is time: the start reminder says it.
    text = "“Tomorrow's show” is starting now."
    assert events == [
        told(host, text, "reminder"),
        told(fan, text, "reminder"),
        told(other, text, "reminder"),
    ]


def test_the_hosts_early_notice_rings_the_host_alone(host, fan, capture_events):
    starts_at = timezone.now() + timedelta(hours=2)
    space = services.space_schedule(host=host, title="Soon", starts_at=starts_at)
    services.reminder_set(space=space, user=fan)

    with (
        time_machine.travel(starts_at - timedelta(minutes=30), tick=False),
        capture_events() as events,
    ):
        services.reminders_deliver()

    [notification] = Notification.objects.filter(user=host)
    assert notification.text.startswith("Your Space “Soon” starts in 30 minutes, at ")
    assert events == [told(host, notification.text, "host_soon")]
