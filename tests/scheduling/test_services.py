from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import NotAllowed
from notifications.models import Notification
from rooms import services as rooms
from rooms.errors import SpaceError
from rooms.models import Space
from scheduling import services
from scheduling.models import Reminder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def wall(*args) -> datetime:
    """A wall-clock time, with no zone: what a person types into the form."""
    return datetime(*args)  # noqa: DTZ001


def _texts(user):
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("text", flat=True)
    )


# Scheduling ------------------------------------------------------------------------------


def test_it_schedules_a_space_with_two_reminders_for_the_host(host):
    starts = timezone.now() + timedelta(hours=3)

    space = services.space_schedule(host=host, title="Later", starts_at=starts, topics=["jazz"])

    assert (space.state, space.scheduled_for) == (Space.State.SCHEDULED, starts)
    reminders = {r.kind: r.due_at for r in Reminder.objects.filter(space=space, user=host)}
    assert reminders == {"soon": starts - timedelta(minutes=30), "start": starts}


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=-1), "Pick a time in the future."),
        (timedelta(days=14, minutes=1), "A Space can be scheduled at most 14 days ahead."),
    ],
)
def test_it_refuses_a_start_in_the_past_or_too_far_ahead(host, offset, message):
    with pytest.raises(SpaceError) as refused:
        services.space_schedule(host=host, title="Nope", starts_at=timezone.now() + offset)

    assert refused.value.message_dict == {"starts_at": [message]}
    assert not Space.objects.exists()


def test_a_wall_clock_time_becomes_utc_in_its_zone():
    assert services.local_to_utc(wall(2027, 1, 10, 18, 0), "Europe/Rome") == datetime(
        2027, 1, 10, 17, 0, tzinfo=UTC
    )
    assert services.local_to_utc(wall(2027, 7, 10, 18, 0), "Europe/Rome") == datetime(
        2027, 7, 10, 16, 0, tzinfo=UTC
    )


def test_a_time_that_does_not_exist_in_the_zone_is_refused():
    # 28 March 2027: in Rome the clocks go from 02:00 straight to 03:00.
    with pytest.raises(SpaceError) as refused:
        services.local_to_utc(wall(2027, 3, 28, 2, 30), "Europe/Rome")

    assert refused.value.message_dict == {
        "starts_at": [
            "02:30 does not exist in Europe/Rome: the clocks go forward then. Pick another time."
        ]
    }


def test_the_hour_that_happens_twice_means_the_first_one():
    # 31 October 2027: in Rome 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    assert services.local_to_utc(wall(2027, 10, 31, 2, 30), "Europe/Rome") == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )


def test_an_unknown_zone_is_refused():
    with pytest.raises(SpaceError) as refused:
        services.local_to_utc(wall(2027, 1, 1, 12, 0), "Mars/Olympus")

    assert refused.value.message_dict == {"time_zone": ["Choose a time zone from the list."]}


def test_a_reminder_fires_at_the_wall_clock_time_across_the_spring_change(host, fan):
    # Saturday noon in Rome (CET, UTC+1); the Space is on Sunday at noon (CEST, UTC+2).
    with time_machine.travel(datetime(2027, 3, 27, 11, 0, tzinfo=UTC), tick=False) as clock:
        starts = services.local_to_utc(wall(2027, 3, 28, 12, 0), "Europe/Rome")
        space = services.space_schedule(host=host, title="Sunday noon", starts_at=starts)
        services.reminder_set(space=space, user=fan)
        assert starts == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)

        clock.move_to(datetime(2027, 3, 28, 9, 59, tzinfo=UTC))  # 11:59 in Rome
        services.reminders_deliver()
        assert _texts(fan) == []

        clock.move_to(datetime(2027, 3, 28, 10, 0, tzinfo=UTC))  # 12:00 in Rome
        assert services.reminders_deliver() == 2  # the fan's and the host's
        assert _texts(fan) == ["“Sunday noon” is starting now."]


def test_the_host_hears_30_minutes_before_across_the_autumn_change(host):
    with time_machine.travel(datetime(2027, 10, 30, 12, 0, tzinfo=UTC), tick=False) as clock:
        # Sunday 31 October 03:15 in Rome is 02:15 UTC, after the clocks went back.
        starts = services.local_to_utc(wall(2027, 10, 31, 3, 15), "Europe/Rome")
        services.space_schedule(host=host, title="Night owls", starts_at=starts)

        clock.move_to(datetime(2027, 10, 31, 1, 44, tzinfo=UTC))
        services.reminders_deliver()
        assert _texts(host) == []
        clock.move_to(datetime(2027, 10, 31, 1, 45, tzinfo=UTC))
        services.reminders_deliver()
        assert _texts(host) == ["Your Space “Night owls” starts in 30 minutes, at 2:15 a.m. UTC."]


def test_the_hosts_early_notice_says_the_time_really_left(host):
    with time_machine.travel(datetime(2027, 1, 5, 18, 0, tzinfo=UTC), tick=False):
        services.space_schedule(
            host=host, title="Quick chat", starts_at=timezone.now() + timedelta(minutes=7)
        )
        services.reminders_deliver()

    assert _texts(host) == ["Your Space “Quick chat” starts in 7 minutes, at 6:07 p.m. UTC."]


def test_the_early_notice_is_in_the_hosts_language_and_zone(host):
    from django.utils import translation

    host.language, host.time_zone = "it", "Europe/Rome"
    host.save()
    with time_machine.travel(datetime(2027, 1, 5, 18, 0, tzinfo=UTC), tick=False):
        services.space_schedule(
            host=host, title="Due parole", starts_at=timezone.now() + timedelta(minutes=1)
        )
        services.reminders_deliver()

    with translation.override("it"):
        expected = translation.ngettext(
            "Your Space “%(title)s” starts in %(count)s minute, at %(time)s.",
            "Your Space “%(title)s” starts in %(count)s minutes, at %(time)s.",
            1,
        ) % {"title": "Due parole", "count": 1, "time": "19:01 CET"}
    assert _texts(host) == [expected]


def test_no_early_notice_once_the_start_has_come(host):
    with time_machine.travel(datetime(2027, 1, 5, 18, 0, tzinfo=UTC), tick=False) as clock:
        services.space_schedule(
            host=host, title="Late scan", starts_at=timezone.now() + timedelta(minutes=20)
        )
        clock.move_to(datetime(2027, 1, 5, 18, 20, tzinfo=UTC))  # the beat was down meanwhile
        services.reminders_deliver()

    assert _texts(host) == ["“Late scan” is starting now."]


# Reminders -------------------------------------------------------------------------------


def test_a_reminder_is_delivered_once(scheduled, fan):
    services.reminder_set(space=scheduled, user=fan)
    services.reminder_set(space=scheduled, user=fan)  # twice is still one

    with time_machine.travel(scheduled.scheduled_for, tick=False):
        first = services.reminders_deliver()
        second = services.reminders_deliver()

    assert (first, second) == (3, 0)  # the fan's, and the host's two
    assert _texts(fan) == ["“Tomorrow's show” is starting now."]
    [notification] = Notification.objects.filter(user=fan)
    assert notification.url == scheduled.get_absolute_url()


def test_a_reminder_for_a_space_that_ended_meanwhile_says_nothing(scheduled, fan, host):
    services.reminder_set(space=scheduled, user=fan)
    rooms.space_start(space=scheduled, actor=host)
    rooms.space_end(space=scheduled, actor=host)

    assert services.reminders_deliver() == 1  # closed, not sent
    assert _texts(fan) == []
    assert services.reminders_deliver() == 0


def test_no_reminder_once_the_start_time_has_passed(scheduled, fan):
    with (
        time_machine.travel(scheduled.scheduled_for + timedelta(minutes=5), tick=False),
        pytest.raises(SpaceError) as refused,
    ):
        services.reminder_set(space=scheduled, user=fan)

    assert refused.value.code == "start_passed"


def test_a_reminder_that_fired_fires_again_at_the_new_time(scheduled, fan, host):
    services.reminder_set(space=scheduled, user=fan)
    with time_machine.travel(scheduled.scheduled_for, tick=False):
        services.reminders_deliver()
        later = timezone.now() + timedelta(hours=1)
        services.space_reschedule(space=scheduled, actor=host, starts_at=later)
    with time_machine.travel(later, tick=False):
        services.reminders_deliver()

    texts = _texts(fan)
    assert texts[0] == "“Tomorrow's show” is starting now."
    assert texts[1].startswith("“Tomorrow's show” now starts ")
    assert texts[2] == "“Tomorrow's show” is starting now."


def test_a_reminder_can_be_removed(scheduled, fan):
    services.reminder_set(space=scheduled, user=fan)

    services.reminder_remove(space=scheduled, user=fan)

    assert not Reminder.objects.filter(user=fan).exists()


@pytest.mark.parametrize("state", [Space.State.ENDED, Space.State.CANCELLED, Space.State.LIVE])
def test_no_reminder_for_a_space_that_is_over_or_live(scheduled, fan, state):
    Space.objects.filter(pk=scheduled.pk).update(state=state)

    with pytest.raises(SpaceError) as refused:
        services.reminder_set(space=scheduled, user=fan)

    assert refused.value.code == ("space_live" if state == Space.State.LIVE else "space_over")
    assert not Reminder.objects.filter(user=fan).exists()


# Editing and cancelling ------------------------------------------------------------------


def test_a_new_time_moves_the_reminders_and_tells_everyone_who_set_one(scheduled, fan, host):
    services.reminder_set(space=scheduled, user=fan)
    later = scheduled.scheduled_for + timedelta(hours=2)

    services.space_reschedule(space=scheduled, actor=host, starts_at=later, title="Later show")

    assert Reminder.objects.get(user=fan).due_at == later
    assert Reminder.objects.get(user=host, kind="soon").due_at == later - timedelta(minutes=30)
    [text] = _texts(fan)
    assert text.startswith("“Later show” now starts ")
    assert _texts(host) == []


def test_cancelling_tells_everyone_with_a_reminder_and_nothing_fires_later(scheduled, fan, host):
    services.reminder_set(space=scheduled, user=fan)

    services.space_cancel(space=scheduled, actor=host)

    scheduled.refresh_from_db()
    assert scheduled.state == Space.State.CANCELLED
    assert _texts(fan) == ["“Tomorrow's show” was cancelled."]
    with time_machine.travel(scheduled.scheduled_for, tick=False):
        assert services.reminders_deliver() == 0


def test_only_the_host_edits_or_cancels(scheduled, fan):
    with pytest.raises(NotAllowed):
        services.space_reschedule(space=scheduled, actor=fan, title="Mine now")
    with pytest.raises(NotAllowed):
        services.space_cancel(space=scheduled, actor=fan)

    scheduled.refresh_from_db()
    assert (scheduled.title, scheduled.state) == ("Tomorrow's show", Space.State.SCHEDULED)


def test_a_space_that_started_cannot_be_rescheduled(scheduled, host):
    rooms.space_start(space=scheduled, actor=host)

    with pytest.raises(SpaceError) as refused:
        services.space_reschedule(
            space=scheduled, actor=host, starts_at=timezone.now() + timedelta(hours=1)
        )

    assert refused.value.code == "not_scheduled"


# Going live ------------------------------------------------------------------------------


def test_starting_early_delivers_the_reminders_now_and_tells_the_followers(
    scheduled, fan, host, django_capture_on_commit_callbacks
):
    follower = UserFactory(handle="follower")
    from accounts.services import follow_create

    follow_create(follower=follower, followee=host)
    follow_create(follower=fan, followee=host)
    services.reminder_set(space=scheduled, user=fan)

    with django_capture_on_commit_callbacks(execute=True):
        rooms.space_start(space=scheduled, actor=host)
    services.reminders_deliver()

    assert _texts(follower) == ["Hana Host is live: “Tomorrow's show”."]
    # The fan hears once, from their reminder; the host hears nothing of their own Space.
    assert _texts(fan) == ["“Tomorrow's show” is live now: join Hana Host."]
    assert _texts(host) == []


def test_the_go_live_fan_out_runs_in_batches_and_tells_each_follower_once(host):
    from accounts.services import follow_create

    followers = [UserFactory() for _ in range(5)]
    for follower in followers:
        follow_create(follower=follower, followee=host)
    space = rooms.space_create(host=host, title="Now")

    last = 0
    for _ in range(3):
        last = services.followers_notify_live(space_id=space.pk, after_user_id=last, batch=2)
    assert last == 0
    services.followers_notify_live(space_id=space.pk, batch=10)  # a redelivered task

    assert Notification.objects.filter(space=space, kind="live").count() == 5
    assert set(Notification.objects.values_list("user_id", flat=True)) == {f.pk for f in followers}


def test_cohosts_named_when_scheduling_take_their_seat_when_they_join(host, fan):
    from rooms.models import Participant

    space = services.space_schedule(
        host=host,
        title="With friends",
        starts_at=timezone.now() + timedelta(hours=1),
        cohosts=["@fan"],
    )
    rooms.space_start(space=space, actor=host)

    seat = rooms.space_join(space=space, user=fan)

    assert seat.role == Participant.Role.COHOST
    assert seat.left_at is None
    listener = rooms.space_join(space=space, user=UserFactory(handle="walkin"))
    assert listener.role == Participant.Role.LISTENER


@pytest.mark.parametrize(
    ("cohosts", "message"),
    [
        (["@nobody"], "There is no @nobody."),
        (["@host"], "You host this Space already."),
        (["@a1", "@a2", "@a3"], "A Space has at most 2 co-hosts."),
    ],
)
def test_cohosts_that_cannot_be_are_refused(host, cohosts, message):
    for handle in ("a1", "a2", "a3"):
        UserFactory(handle=handle)

    with pytest.raises(SpaceError) as refused:
        services.space_schedule(
            host=host, title="Nope", starts_at=timezone.now() + timedelta(hours=1), cohosts=cohosts
        )

    assert refused.value.message_dict == {"cohosts": [message]}
    assert not Space.objects.exists()
