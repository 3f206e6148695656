"""Beat tasks of rooms: a Space whose host is away ends by itself, and live bars hear
audience changes. Driven through the tasks, with the clock moved by time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.services import block_create, follow_create
from rooms import events as room_events
from rooms import selectors, services, tasks
from rooms.models import Space
from tests.factories import UserFactory
from tests.rooms.conftest import seat, seat_of
from tests.rooms.test_services import live_bars, room_event, stage_event

GRACE = 300


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.HOST_AWAY_GRACE = GRACE


@pytest.fixture
def host_left(space, host):
    """The host's page went away (closed, or silent and swept) at `host_left`."""
    services.space_leave(participant=seat_of(space, host))
    return timezone.now()


def run(seconds_after, start, django_capture_on_commit_callbacks, task=tasks.end_when_host_away):
    """Run a beat task this many seconds after `start`, with its events sent."""
    moment = start + timedelta(seconds=seconds_after)
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return task()


def test_a_space_whose_host_stays_away_is_warned_then_ends(
    space, host, listener, host_left, events, django_capture_on_commit_callbacks
):
    fan = UserFactory(handle="fan")
    follow_create(follower=fan, followee=host)
    capture = django_capture_on_commit_callbacks

    assert run(GRACE - 1, host_left, capture) == 0
    assert events == []

    assert run(GRACE + 1, host_left, capture) == 1
    assert events == [
        (
            space.group_name,
            room_event(space, "space.ending_soon", reason="host_away", seconds=60),
        )
    ]
    assert Space.objects.get(pk=space.pk).state == Space.State.LIVE

    events.clear()
    assert run(GRACE + 1 + 59, host_left, capture) == 0
    assert events == []

    assert run(GRACE + 1 + 60, host_left, capture) == 1
    space.refresh_from_db()
    assert (space.state, space.ended_at) == (
        Space.State.ENDED,
        host_left + timedelta(seconds=GRACE + 61),
    )
    assert events == [
        *live_bars(host, fan, space=space),
        (space.group_name, room_event(space, "space.ended", state="ended")),
    ]
    assert selectors.counts(space)["total"] == 0


def test_running_the_task_twice_warns_and_ends_once(
    space, host_left, events, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert run(GRACE + 1, host_left, capture) == 1
    assert run(GRACE + 2, host_left, capture) == 0
    assert [e["event"] for _g, e in events] == ["space.ending_soon"]

    assert run(GRACE + 70, host_left, capture) == 1
    assert run(GRACE + 71, host_left, capture) == 0
    assert [e.get("event") for _g, e in events if _g == space.group_name] == [
        "space.ending_soon",
        "space.ended",
    ]


def test_the_host_coming_back_after_the_warning_keeps_the_space_live(
    space, host, host_left, events, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run(GRACE + 1, host_left, capture)
    events.clear()

    back = host_left + timedelta(seconds=GRACE + 30)
    with time_machine.travel(back, tick=False), capture(execute=True):
        seat(space, host)
    before_end = Space.objects.get(pk=space.pk).seq

    assert events == [
        (space.group_name, room_event(space, "space.ending_cancelled", seq=before_end - 1)),
        (space.group_name, stage_event(space, "stage.joined")),
        *live_bars(host, space=space),
    ]
    events.clear()
    assert run(GRACE + 120, host_left, capture) == 0
    assert events == []
    assert Space.objects.get(pk=space.pk).state == Space.State.LIVE


def test_a_host_back_before_the_grace_hears_nothing(
    space, host, host_left, events, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with time_machine.travel(host_left + timedelta(seconds=GRACE - 10), tick=False):
        seat(space, host)

    assert run(GRACE + 120, host_left, capture) == 0
    assert events == []


def test_a_present_host_is_never_away(space, capture_events):
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        # The sweep would let a silent host go; here the host's page keeps beating.
        services.participant_seen(participant=seat_of(space, space.host))
        with capture_events() as events:
            assert tasks.end_when_host_away() == 0
    assert events == []


def test_each_run_does_a_bounded_amount_of_work(host, django_capture_on_commit_callbacks):
    spaces = [services.space_create(host=host, title=f"Show {n}") for n in range(3)]
    left = timezone.now()
    for space in spaces:
        services.space_leave(participant=seat_of(space, host))

    with time_machine.travel(left + timedelta(seconds=GRACE + 1), tick=False):
        assert services.host_away_check(batch=2) == 2
        assert services.host_away_check(batch=2) == 1
        assert services.host_away_check(batch=2) == 0
    assert Space.objects.filter(ending_at__isnull=False).count() == 3


# Live bars hear audience changes ----------------------------------------------------------


def test_live_bars_hear_when_the_audience_changed_and_only_then(
    space, host, speaker, events, django_capture_on_commit_callbacks
):
    fan, stranger, blocker = (UserFactory(handle=h) for h in ("fan", "stranger", "blocker"))
    follow_create(follower=fan, followee=speaker)
    follow_create(follower=blocker, followee=host)
    block_create(blocker=blocker, blocked=host)
    capture = django_capture_on_commit_callbacks
    now = timezone.now()

    assert run(0, now, capture, tasks.refresh_live_bar_counts) == 1
    assert events == live_bars(host, speaker, fan, space=space)
    events.clear()
    assert run(30, now, capture, tasks.refresh_live_bar_counts) == 0
    assert events == []

    seat(space, anon_id="browser-1")
    assert run(60, now, capture, tasks.refresh_live_bar_counts) == 1
    assert events == live_bars(host, speaker, fan, space=space)
    assert stranger.group_name not in {group for group, _e in events}


def test_a_crowd_of_followers_is_told_batch_after_batch_each_once(
    space, host, events, monkeypatch, django_capture_on_commit_callbacks
):
    """The first batch goes after commit, the rest from tasks that queue the next one."""
    monkeypatch.setattr(room_events, "LIVE_BAR_BATCH", 2)
    monkeypatch.setattr(room_events.live_bars_changed, "__kwdefaults__", {"after": 0, "batch": 2})
    fans = [UserFactory(handle=f"crowd{n}") for n in range(7)]
    for fan in fans:
        follow_create(follower=fan, followee=host)
    events.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=space, actor=host)

    told = [group for group, event in events if event.get("type") == "livebar.changed"]
    assert sorted(told) == sorted(person.group_name for person in [host, *fans])
