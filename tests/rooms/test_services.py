from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.services import follow_create
from rooms import selectors, services
from rooms.models import MAX_SPEAKERS, Participant, PinnedTweet, Space
from tests.factories import TweetFactory, UserFactory
from tests.rooms.conftest import on_stage, seat, seat_of

Role = Participant.Role


def test_creating_goes_live_with_the_host_on_stage(space, host):
    assert space.state == Space.State.LIVE
    assert [(p["handle"], p["role"]) for p in selectors.stage(space)] == [("host", "host")]
    assert sorted(t.name for t in space.topics.all()) == ["coffee", "news"]


@pytest.mark.parametrize(
    ("title", "topics", "message"),
    [
        ("x" * 71, [], "A title is at most 70 characters; this one has 71."),
        ("", [], "Give your Space a title."),
        ("Fine", ["a", "b", "c", "d"], "A Space has at most 3 topics."),
    ],
    ids=["71-characters", "empty", "fourth-topic"],
)
def test_bad_spaces_are_refused_and_nothing_is_created(host, title, topics, message):
    with pytest.raises(ValidationError) as error:
        services.space_create(host=host, title=title, topics=topics)

    assert error.value.messages == [message]
    assert Space.objects.count() == 0


def test_an_anonymous_listener_is_counted_but_not_listed(space):
    seat(space, anon_id="browser-1")

    assert selectors.counts(space) == {"total": 2, "listed": 1}
    assert selectors.listed_listeners(space) == []


def test_a_signed_in_listener_is_listed_unless_they_choose_not_to_be(space, listener):
    assert [p["handle"] for p in selectors.listed_listeners(space)] == ["listener"]

    services.listed_set(participant=seat_of(space, listener), listed=False)

    assert selectors.listed_listeners(space) == []
    assert selectors.counts(space)["total"] == 2


def test_joining_an_ended_space_is_refused(space, host):
    services.space_end(space=space, actor=host)

    with pytest.raises(ValidationError) as error:
        seat(space, anon_id="late")

    assert error.value.messages == ["This Space has ended."]


def test_banned_and_blocked_people_cannot_join(space, banned, blocked):
    for person in (banned, blocked):
        with pytest.raises(PermissionDenied):
            seat(space, person)
    assert not selectors.present(space).filter(user__in=[banned, blocked]).exists()


def test_a_ban_covers_the_hosts_next_space_too(space, host, banned):
    next_space = services.space_create(host=host, title="Evening show")

    with pytest.raises(PermissionDenied) as error:
        seat(next_space, banned)

    assert error.value.code == "banned"


def test_raising_a_hand_needs_an_account(space):
    anonymous = seat(space, anon_id="browser-2")

    with pytest.raises(ValidationError) as error:
        services.hand_raise(participant=anonymous)

    assert error.value.messages == ["Sign in to request to speak."]


def test_the_followed_policy_lets_only_people_the_host_follows_ask(space, host, listener):
    services.speak_policy_set(space=space, actor=host, policy=Space.SpeakPolicy.FOLLOWED)
    participant = seat_of(space, listener)

    with pytest.raises(ValidationError):
        services.hand_raise(participant=participant)
    follow_create(follower=host, followee=listener)
    services.hand_raise(participant=participant)

    assert seat_of(space, listener).hand_raised_at is not None


def test_the_invited_policy_refuses_every_hand(space, host, listener):
    services.speak_policy_set(space=space, actor=host, policy=Space.SpeakPolicy.INVITED)

    with pytest.raises(ValidationError) as error:
        services.hand_raise(participant=seat_of(space, listener))

    assert error.value.code == "invite_only"


def test_approving_a_hand_puts_them_on_stage_muted_and_tells_the_room(
    space, host, listener, events, django_capture_on_commit_callbacks
):
    participant = seat_of(space, listener)
    services.hand_raise(participant=participant)

    with django_capture_on_commit_callbacks(execute=True):
        services.request_approve(space=space, actor=host, participant_id=participant.pk)

    participant.refresh_from_db()
    assert (participant.role, participant.self_muted, participant.hand_raised_at) == (
        Role.SPEAKER,
        True,
        None,
    )
    room_events = [e for group, e in events if group == space.group_name]
    assert room_events[-1]["event"] == "stage.speaker_added"
    assert [p["handle"] for p in room_events[-1]["data"]["stage"]] == ["host", "listener"]
    assert room_events[-1]["seq"] == Space.objects.get(pk=space.pk).seq


def test_event_numbers_rise_by_one(
    space, host, listener, events, django_capture_on_commit_callbacks
):
    participant = seat_of(space, listener)
    with django_capture_on_commit_callbacks(execute=True):
        services.hand_raise(participant=participant)
        services.request_decline(space=space, actor=host, participant_id=participant.pk)
        services.pin_add(space=space, actor=host, tweet_id=TweetFactory(author=host).pk)

    seqs = [e["seq"] for group, e in events if group == space.group_name]
    assert seqs == list(range(seqs[0], seqs[0] + 3))


def test_the_stage_holds_at_most_ten_speakers(space, host):
    for n in range(MAX_SPEAKERS):
        on_stage(space, UserFactory(handle=f"s{n}"))
    eleventh = seat(space, UserFactory(handle="eleventh"))
    services.hand_raise(participant=eleventh)

    with pytest.raises(ValidationError) as error:
        services.request_approve(space=space, actor=host, participant_id=eleventh.pk)

    assert error.value.messages == ["The stage is full: at most 10 speakers."]
    assert selectors.present(space).filter(role=Role.SPEAKER).count() == MAX_SPEAKERS


def test_at_most_two_cohosts_and_only_the_host_adds_them(space, host, cohost):
    on_stage(space, UserFactory(handle="second"), Role.COHOST)
    third = seat(space, UserFactory(handle="third"))

    with pytest.raises(ValidationError) as error:
        services.cohost_add(space=space, actor=host, participant_id=third.pk)
    assert error.value.code == "cohosts_full"
    with pytest.raises(PermissionDenied):
        services.cohost_add(space=space, actor=cohost, participant_id=third.pk)


def test_a_muted_speaker_is_the_only_one_who_can_unmute(space, host, cohost, speaker):
    participant = seat_of(space, speaker)
    services.self_mute_set(participant=participant, muted=False)

    services.speaker_mute(space=space, actor=cohost, participant_id=participant.pk)
    assert selectors.participant_public(seat_of(space, speaker))["muted_by_host"] is True

    services.self_mute_set(participant=participant, muted=False)
    participant.refresh_from_db()
    assert (participant.muted_by_host, participant.self_muted) == (False, False)


def test_a_cohost_cannot_mute_the_host_or_end_the_space(space, host, cohost):
    with pytest.raises(PermissionDenied):
        services.speaker_mute(space=space, actor=cohost, participant_id=seat_of(space, host).pk)
    with pytest.raises(PermissionDenied):
        services.space_end(space=space, actor=cohost)
    assert Space.objects.get(pk=space.pk).state == Space.State.LIVE


def test_pass_the_mic_invite_and_accept(space, host, listener):
    participant = seat_of(space, listener)

    services.speaker_invite(space=space, actor=host, participant_id=participant.pk)
    services.invite_answer(participant=participant, accept=True)

    assert seat_of(space, listener).role == Role.SPEAKER


def test_a_speaker_steps_down_and_a_moderator_moves_one_back(space, host, speaker):
    services.stage_leave(participant=seat_of(space, speaker))
    assert seat_of(space, speaker).role == Role.LISTENER

    on_stage_again = seat_of(space, speaker)
    services.hand_raise(participant=on_stage_again)
    services.request_approve(space=space, actor=host, participant_id=on_stage_again.pk)
    services.speaker_demote(space=space, actor=host, participant_id=on_stage_again.pk)
    assert seat_of(space, speaker).role == Role.LISTENER


def test_a_fourth_pin_is_refused(space, host):
    for _ in range(3):
        services.pin_add(space=space, actor=host, tweet_id=TweetFactory().pk)

    with pytest.raises(ValidationError) as error:
        services.pin_add(space=space, actor=host, tweet_id=TweetFactory().pk)

    assert error.value.messages == ["A Space has at most 3 pinned tweets; unpin one first."]
    assert PinnedTweet.objects.count() == 3


def test_ending_lets_everyone_go_and_tells_the_live_bar(
    space, host, speaker, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=space, actor=host)

    assert selectors.counts(space)["total"] == 0
    live_bar = [e for group, e in events if group == "livebar"]
    assert live_bar[-1]["user_ids"] == sorted([host.pk, speaker.pk])
    assert [e["event"] for group, e in events if group == space.group_name][-1] == "space.ended"


def test_presence_lapses_after_thirty_silent_seconds(space, listener):
    participant = seat_of(space, listener)
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        services.participant_seen(participant=participant)
    with time_machine.travel(timezone.now() + timedelta(seconds=45)):
        assert services.presence_sweep() == 1  # the host, silent since the start
    assert seat_of(space, listener).left_at is None
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        assert services.presence_sweep() == 1
    assert seat_of(space, listener).left_at is not None


def test_rejoining_after_leaving_comes_back_as_a_listener(space, speaker):
    services.space_leave(participant=seat_of(space, speaker))

    participant = seat(space, speaker)

    assert (participant.role, participant.left_at) == (Role.LISTENER, None)
