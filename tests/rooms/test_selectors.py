from datetime import timedelta

import time_machine
from django.utils import timezone

from accounts.services import block_create, follow_create
from rooms import events as room_events
from rooms import selectors, services
from rooms.models import Space
from tests.factories import UserFactory
from tests.rooms.conftest import seat, seat_of
from tests.rooms.test_services import live_bars


def test_the_live_bar_counts_the_people_the_room_counts(space, host, listener):
    viewer = UserFactory(handle="viewer")
    follow_create(follower=viewer, followee=host)
    for n in range(3):
        seat(space, anon_id=f"browser-{n}")
    services.space_leave(participant=seat_of(space, listener))
    with time_machine.travel(timezone.now() + timedelta(seconds=45)):
        # The host's page and one browser keep beating; two silent browsers are let go.
        services.participant_seen(participant=seat_of(space, host))
        services.participant_seen(participant=seat(space, anon_id="browser-0"))
        services.presence_sweep()

    (bubble,) = selectors.live_bar(viewer)

    assert selectors.counts(space)["total"] == 2
    assert bubble.listener_count == selectors.counts(space)["total"]
    assert selectors.live_audiences() == {space.pk: (space.code, host.pk, 2)}


def test_live_bar_recipients_are_the_stage_and_its_followers_in_one_query(
    space, host, speaker, listener, django_assert_num_queries
):
    host_fan, speaker_fan, both, old_fan, blocker, stranger = (
        UserFactory(handle=h)
        for h in ("hostfan", "speakerfan", "both", "oldfan", "blocker", "stranger")
    )
    follow_create(follower=host_fan, followee=host)
    follow_create(follower=speaker_fan, followee=speaker)
    follow_create(follower=both, followee=host)
    follow_create(follower=both, followee=speaker)
    follow_create(follower=blocker, followee=host)
    block_create(blocker=blocker, blocked=host)
    # Someone who just left the stage: their followers must hear the Space is gone.
    follow_create(follower=old_fan, followee=listener)
    subjects = [speaker.pk, listener.pk]

    with django_assert_num_queries(1):
        everyone = selectors.live_bar_recipients(host_id=host.pk, subject_ids=subjects)
    with django_assert_num_queries(1):
        second_half = selectors.live_bar_recipients(
            host_id=host.pk, subject_ids=subjects, after=everyone[2], limit=100
        )

    expected = sorted(p.pk for p in (host, speaker, listener, host_fan, speaker_fan, both, old_fan))
    assert everyone == expected
    assert second_half == expected[3:]
    assert stranger.pk not in everyone
    assert blocker.pk not in everyone


def test_live_bars_are_told_in_batches(space, host, events):
    fans = [UserFactory(handle=f"fan{n}") for n in range(5)]
    for fan in fans:
        follow_create(follower=fan, followee=host)

    sent, after = [], 0
    for _ in range(10):
        after = room_events.live_bars_notify(
            space_code=space.code, host_id=host.pk, subject_ids=[], after=after, batch=2
        )
        sent.append(len(events) - sum(sent))
        if not after:
            break

    assert sent == [2, 2, 2, 0]  # a full batch may have more behind it
    assert events == live_bars(host, *fans, space=space)


def test_removed_from_is_about_this_space_and_this_person(space, host, listener):
    other = UserFactory(handle="other")
    seat(space, other)
    services.participant_remove(space=space, actor=host, participant_id=seat_of(space, listener).pk)

    assert selectors.removed_from(space, user=listener) is True
    assert selectors.removed_from(space, user=other) is False
    assert selectors.removed_from(space) is False


def test_past_the_first_batch_a_task_tells_the_rest(space, host, monkeypatch, capture_events):
    monkeypatch.setattr(room_events, "LIVE_BAR_FIRST", 2)
    monkeypatch.setattr(room_events, "LIVE_BAR_BATCH", 2)
    fans = [UserFactory(handle=f"fan{n}") for n in range(4)]
    for fan in fans:
        follow_create(follower=fan, followee=host)

    with capture_events() as events:
        services.space_end(space=space, actor=host)

    assert [(g, e) for g, e in events if g != space.group_name] == live_bars(
        host, *fans, space=space
    )


def test_the_snapshot_says_when_a_space_whose_host_is_away_ends(space, host):
    assert selectors.space_snapshot(space)["ending_in"] is None
    Space.objects.filter(pk=space.pk).update(ending_at=timezone.now() + timedelta(seconds=42))

    assert 40 <= selectors.space_snapshot(space)["ending_in"] <= 42
