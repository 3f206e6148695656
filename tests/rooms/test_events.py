"""The exact events each room service sends, all of them and in order, as zulip pins them:
the room's group, the live bars of the people it changes, and nothing else."""

from unittest import mock

import pytest
import time_machine
from asgiref.sync import async_to_sync

import core.events as core_events
from accounts.services import follow_create
from notifications.models import Notification
from rooms import receivers, selectors, services
from rooms.models import Participant, Space
from tests.factories import TweetFactory, UserFactory
from tests.rooms.conftest import on_stage, seat, seat_of

Role = Participant.Role


def seq_of(space) -> int:
    return Space.objects.values_list("seq", flat=True).get(pk=space.pk)


def room(space, event, seq, **data) -> tuple[str, dict]:
    """An event as the room's group gets it."""
    return (space.group_name, {"type": "space.event", "event": event, "seq": seq, "data": data})


def named(space, user) -> dict:
    """Who an event is about: their seat, and what the room may know of them while present."""
    seat = seat_of(space, user)
    if seat.left_at is not None:
        return {"participant_id": seat.pk}
    return {"participant_id": seat.pk, "participant": selectors.participant_public(seat)}


def stage_event(space, event, seq, about=None, **data) -> tuple[str, dict]:
    """A stage event: the stage, hands and counts as the change left them, and `data`."""
    now = {
        "stage": selectors.stage(space),
        "hands": selectors.hands(space),
        "counts": selectors.counts(space),
    }
    return room(space, event, seq, **now, **(named(space, about) if about else {}), **data)


def live_bars(*people, space) -> list[tuple[str, dict]]:
    """`livebar.changed` for these people's pages, in the order they are sent (by id)."""
    event = {"type": "livebar.changed", "space": space.code}
    return [(person.group_name, event) for person in sorted(people, key=lambda p: p.pk)]


@pytest.fixture
def fan(host):
    """Someone who follows the host: their live bar shows the host's Spaces."""
    user = UserFactory(handle="fan")
    follow_create(follower=user, followee=host)
    return user


# The Space -------------------------------------------------------------------------------


def test_starting_tells_the_room_the_live_bars_and_the_followers(host, fan, capture_events):
    space = services.space_create(host=host, title="Later", start_now=False)

    with capture_events() as events:
        services.space_start(space=space, actor=host)

    told = Notification.objects.get(user=fan)
    assert events == [
        stage_event(space, "space.started", 1, state="live"),
        *live_bars(host, fan, space=space),
        (
            fan.group_name,
            {
                "type": "notification.new",
                "kind": "live",
                "text": "Hana Host is live: “Later”.",
                "url": space.get_absolute_url(),
                "data": {"id": told.pk},
            },
        ),
    ]


def test_ending_tells_the_live_bars_then_the_room(space, host, speaker, fan, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.space_end(space=space, actor=host)

    # The live bars hear first: their callback was queued before everyone left the stage.
    assert events == [
        *live_bars(host, speaker, fan, space=space),
        room(space, "space.ended", seq + 1, state="ended"),
    ]


# Joining and leaving ---------------------------------------------------------------------


def test_a_listed_listener_joining_tells_the_room_only(space, capture_events):
    newcomer = UserFactory(handle="newcomer")
    seq = seq_of(space)

    with capture_events() as events:
        services.space_join(space=space, user=newcomer)

    assert events == [
        room(
            space,
            "audience.joined",
            seq + 1,
            participant=selectors.participant_public(seat_of(space, newcomer)),
            counts={"total": 2, "listed": 2},
        )
    ]


def test_an_anonymous_listener_joining_sends_nothing(space, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.space_join(space=space, anon_id="anon-1")

    # Unlisted: only the count moves, and counts go out coalesced (counts_announce).
    assert events == []
    assert seq_of(space) == seq


def test_a_listed_listener_leaving_tells_the_room_only(space, listener, capture_events):
    seat = seat_of(space, listener)
    seq = seq_of(space)

    with capture_events() as events:
        services.space_leave(participant=seat)

    assert events == [
        room(
            space,
            "audience.left",
            seq + 1,
            participant=selectors.participant_public(seat_of(space, listener)),
            counts={"total": 1, "listed": 1},
        )
    ]


# Requests to speak -----------------------------------------------------------------------


def test_raising_a_hand_tells_the_room_only(space, listener, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.hand_raise(participant=seat_of(space, listener))

    assert events == [stage_event(space, "hands.raised", seq + 1, listener)]
    assert [hand["handle"] for hand in events[0][1]["data"]["hands"]] == ["listener"]


def test_lowering_a_hand_tells_the_room_only(space, listener, capture_events):
    services.hand_raise(participant=seat_of(space, listener))
    seq = seq_of(space)

    with capture_events() as events:
        services.hand_lower(participant=seat_of(space, listener))

    assert events == [stage_event(space, "hands.lowered", seq + 1, listener)]


def test_approving_tells_the_room_and_the_live_bars(space, host, listener, fan, capture_events):
    services.hand_raise(participant=seat_of(space, listener))
    seq = seq_of(space)

    with capture_events() as events:
        services.request_approve(
            space=space, actor=host, participant_id=seat_of(space, listener).pk
        )

    assert events == [
        stage_event(space, "stage.speaker_added", seq + 1, listener),
        *live_bars(host, listener, fan, space=space),
    ]
    assert [p["handle"] for p in events[0][1]["data"]["stage"]] == ["host", "listener"]


def test_declining_tells_the_room_only(space, host, listener, capture_events):
    services.hand_raise(participant=seat_of(space, listener))
    seq = seq_of(space)

    with capture_events() as events:
        services.request_decline(
            space=space, actor=host, participant_id=seat_of(space, listener).pk
        )

    assert events == [stage_event(space, "hands.declined", seq + 1, listener)]
    assert events[0][1]["data"]["hands"] == []


def test_inviting_tells_the_room_who_without_the_stage(space, host, listener, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.speaker_invite(space=space, actor=host, participant_id=seat_of(space, listener).pk)

    assert events == [room(space, "stage.invited", seq + 1, **named(space, listener))]
    assert events[0][1]["data"]["participant"]["invited"] is True


def test_accepting_an_invitation_tells_the_room_and_the_live_bars(
    space, host, listener, capture_events
):
    services.speaker_invite(space=space, actor=host, participant_id=seat_of(space, listener).pk)
    seq = seq_of(space)

    with capture_events() as events:
        services.invite_answer(participant=seat_of(space, listener), accept=True)

    assert events == [
        stage_event(space, "stage.speaker_added", seq + 1, listener),
        *live_bars(host, listener, space=space),
    ]


def test_declining_an_invitation_tells_the_room_only(space, host, listener, capture_events):
    services.speaker_invite(space=space, actor=host, participant_id=seat_of(space, listener).pk)
    seq = seq_of(space)

    with capture_events() as events:
        services.invite_answer(participant=seat_of(space, listener), accept=False)

    assert events == [room(space, "stage.invite_declined", seq + 1, **named(space, listener))]


# On the stage ----------------------------------------------------------------------------


def test_moving_a_speaker_back_tells_the_room_and_the_live_bars(
    space, host, speaker, capture_events
):
    seq = seq_of(space)

    with capture_events() as events:
        services.speaker_demote(space=space, actor=host, participant_id=seat_of(space, speaker).pk)

    # The speaker's followers' bars must drop the Space: the speaker is told of too.
    assert events == [
        stage_event(space, "stage.speaker_removed", seq + 1, speaker),
        *live_bars(host, speaker, space=space),
    ]


def test_muting_a_speaker_tells_the_room_only(space, host, speaker, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.speaker_mute(space=space, actor=host, participant_id=seat_of(space, speaker).pk)

    assert events == [stage_event(space, "stage.muted", seq + 1, speaker)]
    assert events[0][1]["data"]["participant"]["muted_by_host"] is True


def test_unmuting_oneself_tells_the_room_only(space, speaker, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.self_mute_set(participant=seat_of(space, speaker), muted=False)

    assert events == [stage_event(space, "stage.unmuted", seq + 1, speaker)]


def test_muting_oneself_again_sends_nothing(space, speaker, capture_events):
    with capture_events() as events:
        services.self_mute_set(participant=seat_of(space, speaker), muted=True)

    assert events == []


def test_leaving_the_stage_tells_the_room_and_the_live_bars(space, host, speaker, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.stage_leave(participant=seat_of(space, speaker))

    assert events == [
        stage_event(space, "stage.speaker_removed", seq + 1, speaker),
        *live_bars(host, speaker, space=space),
    ]


def test_removing_a_listener_tells_the_room_twice_and_the_live_bars(
    space, host, listener, capture_events
):
    seat = seat_of(space, listener)
    seq = seq_of(space)

    with capture_events() as events:
        services.participant_remove(space=space, actor=host, participant_id=seat.pk)

    assert events == [
        room(space, "participant.removed", seq + 1, participant_id=seat.pk, banned=False),
        stage_event(space, "stage.left", seq + 2, participant_id=seat.pk),
        *live_bars(host, listener, space=space),
    ]


def test_removing_and_banning_a_speaker_tells_the_room_twice_and_the_live_bars(
    space, host, speaker, fan, capture_events
):
    seat = seat_of(space, speaker)
    seq = seq_of(space)

    with capture_events() as events:
        services.participant_remove(space=space, actor=host, participant_id=seat.pk, ban=True)

    assert events == [
        room(space, "participant.removed", seq + 1, participant_id=seat.pk, banned=True),
        stage_event(space, "stage.left", seq + 2, participant_id=seat.pk),
        *live_bars(host, speaker, fan, space=space),
    ]
    assert [p["handle"] for p in events[1][1]["data"]["stage"]] == ["host"]


def test_adding_a_cohost_tells_the_room_and_the_live_bars(space, host, listener, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.cohost_add(space=space, actor=host, participant_id=seat_of(space, listener).pk)

    assert events == [
        stage_event(space, "stage.cohost_added", seq + 1, listener),
        *live_bars(host, listener, space=space),
    ]
    assert events[0][1]["data"]["participant"]["role"] == Role.COHOST


def test_removing_a_cohost_tells_the_room_and_the_live_bars(space, host, cohost, capture_events):
    seq = seq_of(space)

    with capture_events() as events:
        services.cohost_remove(space=space, actor=host, participant_id=seat_of(space, cohost).pk)

    assert events == [
        stage_event(space, "stage.cohost_removed", seq + 1, cohost),
        *live_bars(host, cohost, space=space),
    ]
    assert events[0][1]["data"]["participant"]["role"] == Role.LISTENER


# Pins and reactions ----------------------------------------------------------------------


def test_pinning_tells_the_room_the_pins(space, host, capture_events):
    tweet = TweetFactory(author=host, text="Read this")
    seq = seq_of(space)

    with capture_events() as events:
        services.pin_add(space=space, actor=host, tweet_id=tweet.pk)

    assert events == [room(space, "pins.changed", seq + 1, pins=selectors.pins(space))]
    assert [pin["text"] for pin in events[0][1]["data"]["pins"]] == ["Read this"]


def test_unpinning_tells_the_room_the_pins_left(space, host, capture_events):
    tweet = TweetFactory(author=host)
    services.pin_add(space=space, actor=host, tweet_id=tweet.pk)
    seq = seq_of(space)

    with capture_events() as events:
        services.pin_remove(space=space, actor=host, tweet_id=tweet.pk)

    assert events == [room(space, "pins.changed", seq + 1, pins=[])]


def test_a_reaction_batch_goes_to_the_room_at_once_without_a_number(space, speaker, capture_events):
    seat = seat_of(space, speaker)
    seq = seq_of(space)

    with capture_events() as events:
        services.reactions_flush(
            space_id=space.pk, counts={"👏": 3, "❤️": 1}, reactors={seat.pk: "👏"}
        )

    assert events == [
        room(
            space,
            "reactions.batch",
            seq,
            counts={"👏": 3, "❤️": 1},
            reactors={str(seat.pk): "👏"},
            at=mock.ANY,
        )
    ]
    assert seq_of(space) == seq


def test_events_of_several_services_come_in_the_order_they_were_sent(space, host, capture_events):
    user = UserFactory(handle="climber")
    seq = seq_of(space)

    with capture_events() as events:
        on_stage(space, user)
        seat(space, UserFactory(handle="quiet"))

    assert [(e["event"], e["seq"]) for _group, e in events if _group == space.group_name] == [
        ("audience.joined", seq + 1),
        ("hands.raised", seq + 2),
        ("stage.speaker_added", seq + 3),
        ("audience.joined", seq + 4),
    ]


# When (`at`) ------------------------------------------------------------------------------


class StampedLayer:
    """A channel layer that keeps messages whole, `at` included."""

    def __init__(self):
        self.sent = []

    async def group_send(self, group, message):
        self.sent.append(message)


def test_an_event_is_stamped_when_it_happens_not_when_it_is_sent(
    space, listener, monkeypatch, django_capture_on_commit_callbacks
):
    """Pages listening over HLS show an event with the audio of that moment: `at` is in
    the envelope from the service, whatever the commit and the fan-out take."""
    layer = StampedLayer()
    monkeypatch.setattr(core_events, "get_channel_layer", lambda *args: layer)
    with (
        time_machine.travel(1_800_000_000.25, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        services.hand_raise(participant=seat_of(space, listener))
    with time_machine.travel(1_800_000_009.5, tick=False):
        for callback in callbacks:
            callback()

    assert [(m["event"], m["at"]) for m in layer.sent if m["type"] == "space.event"] == [
        ("hands.raised", 1_800_000_000.25)
    ]


def test_speaking_is_stamped_when_the_media_server_says_it(monkeypatch):
    layer = StampedLayer()
    monkeypatch.setattr(receivers, "get_channel_layer", lambda: layer)

    with time_machine.travel(1_800_000_000.125, tick=False):
        async_to_sync(receivers.speaking_announce)(None, space_id=7, speaking=[1])

    assert layer.sent == [{"type": "media.speaking", "speaking": [1], "at": 1_800_000_000.125}]
