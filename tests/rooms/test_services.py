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


def room_event(space, event, *, seq=None, **data) -> dict:
    """An event as the room's group gets it (by default the Space's latest)."""
    seq = seq if seq is not None else Space.objects.get(pk=space.pk).seq
    return {"type": "space.event", "event": event, "seq": seq, "data": data}


def stage_event(space, event, *, seq=None, **data) -> dict:
    """A stage event: the stage, hands and counts as they are now, and `data`."""
    now = {
        "stage": selectors.stage(space),
        "hands": selectors.hands(space),
        "counts": selectors.counts(space),
    }
    return room_event(space, event, seq=seq, **now, **data)


def live_bars(*people, space) -> list:
    """`livebar.changed` for these people's pages, in the order they are sent (by id)."""
    event = {"type": "livebar.changed", "space": space.code}
    return [(person.group_name, event) for person in sorted(people, key=lambda p: p.pk)]


def public(space, user) -> dict:
    return selectors.participant_public(seat_of(space, user))


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
    space, host, listener, capture_events
):
    participant = seat_of(space, listener)
    services.hand_raise(participant=participant)

    with capture_events() as events:
        services.request_approve(space=space, actor=host, participant_id=participant.pk)

    participant.refresh_from_db()
    assert (participant.role, participant.self_muted, participant.hand_raised_at) == (
        Role.SPEAKER,
        True,
        None,
    )
    added = stage_event(
        space,
        "stage.speaker_added",
        participant_id=participant.pk,
        participant=public(space, listener),
    )
    assert events == [(space.group_name, added), *live_bars(host, listener, space=space)]
    assert [p["handle"] for p in events[0][1]["data"]["stage"]] == ["host", "listener"]


def test_event_numbers_rise_by_one(space, host, listener, capture_events):
    participant = seat_of(space, listener)
    with capture_events() as events:
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


def test_ending_lets_everyone_go_and_tells_the_live_bar(space, host, speaker, capture_events):
    fan = UserFactory(handle="fan")
    follow_create(follower=fan, followee=speaker)

    with capture_events() as events:
        services.space_end(space=space, actor=host)

    assert selectors.counts(space)["total"] == 0
    assert events == [
        *live_bars(host, speaker, fan, space=space),
        (space.group_name, room_event(space, "space.ended", state="ended")),
    ]


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


# Who an event is about travels with it (contract 1) ----------------------------------------


def test_moving_a_speaker_to_listeners_tells_the_room_they_are_a_listed_listener(
    space, host, speaker, capture_events
):
    participant = seat_of(space, speaker)

    with capture_events() as events:
        services.speaker_demote(space=space, actor=host, participant_id=participant.pk)

    moved = public(space, speaker)
    assert (moved["role"], moved["listed"]) == ("listener", True)
    assert events == [
        (
            space.group_name,
            stage_event(
                space, "stage.speaker_removed", participant_id=participant.pk, participant=moved
            ),
        ),
        *live_bars(host, speaker, space=space),
    ]


def test_declining_an_invitation_tells_the_room_who_stays_a_listener(
    space, host, listener, capture_events
):
    participant = seat_of(space, listener)
    services.speaker_invite(space=space, actor=host, participant_id=participant.pk)

    with capture_events() as events:
        services.invite_answer(participant=participant, accept=False)

    still = public(space, listener)
    assert (still["role"], still["listed"], still["invited"]) == ("listener", True, False)
    assert events == [
        (
            space.group_name,
            room_event(
                space, "stage.invite_declined", participant_id=participant.pk, participant=still
            ),
        )
    ]


def _pid(space, user) -> int:
    return seat_of(space, user).pk


def _demote(space, host, user):
    services.speaker_demote(space=space, actor=host, participant_id=_pid(space, user))


def _stage_leave(space, host, user):
    services.stage_leave(participant=seat_of(space, user))


def _cohost_remove(space, host, user):
    services.cohost_remove(space=space, actor=host, participant_id=_pid(space, user))


def _decline(space, host, user):
    services.hand_raise(participant=seat_of(space, user))
    services.request_decline(space=space, actor=host, participant_id=_pid(space, user))


def _invite_declined(space, host, user):
    services.speaker_invite(space=space, actor=host, participant_id=_pid(space, user))
    services.invite_answer(participant=seat_of(space, user), accept=False)


def _hand_raise(space, host, user):
    services.hand_raise(participant=seat_of(space, user))


def _mute(space, host, user):
    services.speaker_mute(space=space, actor=host, participant_id=_pid(space, user))


def _unmute(space, host, user):
    services.self_mute_set(participant=seat_of(space, user), muted=False)


def _approve(space, host, user):
    on_stage(space, user)


@pytest.mark.parametrize(
    ("who", "act", "event", "role"),
    [
        ("speaker", _demote, "stage.speaker_removed", "listener"),
        ("speaker", _stage_leave, "stage.speaker_removed", "listener"),
        ("cohost", _cohost_remove, "stage.cohost_removed", "listener"),
        ("listener", _decline, "hands.declined", "listener"),
        ("listener", _invite_declined, "stage.invite_declined", "listener"),
        ("listener", _hand_raise, "hands.raised", "listener"),
        ("speaker", _mute, "stage.muted", "speaker"),
        ("speaker", _unmute, "stage.unmuted", "speaker"),
        ("listener", _approve, "stage.speaker_added", "speaker"),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or None,
)
def test_every_event_about_someone_present_carries_their_role_and_listing(
    space, host, request, who, act, event, role, capture_events
):
    user = request.getfixturevalue(who)

    with capture_events() as events:
        act(space, host, user)

    about = [e for group, e in events if group == space.group_name][-1]
    assert about["event"] == event
    assert about["data"]["participant_id"] == seat_of(space, user).pk
    assert about["data"]["participant"] == public(space, user)
    assert (about["data"]["participant"]["role"], about["data"]["participant"]["listed"]) == (
        role,
        True,
    )


def test_an_event_about_someone_who_left_names_them_only(space, speaker, capture_events):
    participant = seat_of(space, speaker)

    with capture_events() as events:
        services.space_leave(participant=participant)

    assert events == [
        (space.group_name, stage_event(space, "stage.left", participant_id=participant.pk)),
        *live_bars(space.host, speaker, space=space),
    ]


# Removal is for good (contract 2) ----------------------------------------------------------


def test_a_removed_listener_is_let_go_for_good_and_the_room_hears_it(
    space, host, listener, capture_events
):
    participant = seat_of(space, listener)
    before = Space.objects.get(pk=space.pk).seq

    with capture_events() as events:
        services.participant_remove(space=space, actor=host, participant_id=participant.pk)

    participant.refresh_from_db()
    assert participant.removed_at is not None
    assert participant.left_at == participant.removed_at
    assert events == [
        (
            space.group_name,
            room_event(
                space,
                "participant.removed",
                seq=before + 1,
                participant_id=participant.pk,
                banned=False,
            ),
        ),
        (
            space.group_name,
            stage_event(space, "stage.left", seq=before + 2, participant_id=participant.pk),
        ),
        *live_bars(host, listener, space=space),
    ]
    assert selectors.removed_from(space, user=listener) is True


def test_a_removed_person_cannot_come_back_by_reopening_the_link(space, host, listener):
    services.participant_remove(space=space, actor=host, participant_id=seat_of(space, listener).pk)

    with pytest.raises(PermissionDenied) as error:
        seat(space, listener)

    assert (error.value.code, error.value.message) == (
        "removed",
        "You were removed from this Space.",
    )
    assert seat_of(space, listener).left_at is not None


def test_a_removed_anonymous_browser_cannot_come_back_but_another_space_is_open(space, host):
    browser = seat(space, anon_id="browser-9")
    services.participant_remove(space=space, actor=host, participant_id=browser.pk)
    other = services.space_create(host=UserFactory(handle="other"), title="Other show")

    with pytest.raises(PermissionDenied) as error:
        seat(space, anon_id="browser-9")

    assert error.value.code == "removed"
    assert selectors.removed_from(space, anon_id="browser-9") is True
    assert selectors.removed_from(other, anon_id="browser-9") is False
    assert seat(other, anon_id="browser-9").left_at is None


def test_leaving_is_not_being_removed(space, listener):
    services.space_leave(participant=seat_of(space, listener))

    assert selectors.removed_from(space, user=listener) is False
    assert seat(space, listener).left_at is None


# Heartbeats after a sweep (contract 4) -----------------------------------------------------


def test_a_heartbeat_says_whether_the_seat_is_still_held(space, listener):
    participant = seat_of(space, listener)
    assert services.participant_seen(participant=participant) is True

    with time_machine.travel(timezone.now() + timedelta(seconds=45)):
        services.presence_sweep()
        assert services.participant_seen(participant=participant) is False

    assert seat_of(space, listener).left_at is not None
    assert seat(space, listener).left_at is None
    assert services.participant_seen(participant=participant) is True


# Ids that no row can have ------------------------------------------------------------------


@pytest.mark.parametrize("raw", [2**70, -(2**70), 2**63, "2" * 30, "abc", None, True, 1.5, [1], {}])
def test_an_impossible_participant_id_is_no_such_participant(space, host, listener, raw):
    with pytest.raises(ValidationError) as error:
        services.speaker_demote(space=space, actor=host, participant_id=raw)

    assert (error.value.code, error.value.messages) == (
        "no_such_participant",
        ["That person is not in this Space."],
    )


@pytest.mark.parametrize("raw", [2**70, "9" * 25, "abc", None, True, 1.5])
def test_an_impossible_tweet_id_is_no_such_tweet(space, host, raw):
    with pytest.raises(ValidationError) as pinning:
        services.pin_add(space=space, actor=host, tweet_id=raw)
    with pytest.raises(ValidationError) as unpinning:
        services.pin_remove(space=space, actor=host, tweet_id=raw)

    assert (pinning.value.code, unpinning.value.code) == ("no_such_tweet", "not_pinned")
    assert PinnedTweet.objects.count() == 0


def test_mutes_and_hands_stay_in_the_room_and_never_reach_followers_live_bars(
    space, host, speaker, listener, capture_events
):
    fan = UserFactory(handle="fan")
    follow_create(follower=fan, followee=speaker)
    follow_create(follower=fan, followee=listener)

    with capture_events() as events:
        services.self_mute_set(participant=seat_of(space, speaker), muted=False)
        services.hand_raise(participant=seat_of(space, listener))

    assert [group for group, _event in events] == [space.group_name, space.group_name]
    assert [event["event"] for _group, event in events] == ["stage.unmuted", "hands.raised"]


def test_a_mute_that_changes_nothing_sends_nothing(space, speaker, media, capture_events):
    assert seat_of(space, speaker).self_muted

    with capture_events() as events:
        services.self_mute_set(participant=seat_of(space, speaker), muted=True)

    assert events == []
    assert media.commands("mute") == []
