"""Query counts pinned on the room's list selectors and hot writes. Each runs with few and
with many rows: the same number for both shows that no query runs once per row."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import follow_create
from rooms import selectors, services
from rooms.models import Participant, Space
from tests.factories import TweetFactory, UserFactory
from tests.rooms.conftest import on_stage, seat, seat_of

MANY = [2, 5]


def _spaces(count: int, *, prefix: str, live: bool = True) -> list[Space]:
    """`count` Spaces by different hosts, each with two topics and a speaker and a listener."""
    spaces = []
    for n in range(count):
        host = UserFactory(handle=f"{prefix}host{n}")
        space = services.space_create(
            host=host, title=f"{prefix} {n}", topics=[f"t{n}", "shared"], start_now=live
        )
        if live:
            on_stage(space, UserFactory(handle=f"{prefix}speaker{n}"))
            seat(space, UserFactory(handle=f"{prefix}listener{n}"))
        else:
            space.scheduled_for = timezone.now() + timedelta(hours=n + 1)
            space.save(update_fields=["scheduled_for"])
        spaces.append(space)
    return spaces


def _card(space) -> tuple:
    """What a Space card shows (rooms/_space_card.html)."""
    return (
        space.title,
        space.host.name,
        space.listener_count,
        [t.name for t in space.topics.all()],
    )


@pytest.mark.parametrize("count", MANY)
def test_the_directory_is_four_queries(count, outsider, django_assert_num_queries):
    _spaces(count, prefix="live")
    _spaces(count, prefix="later", live=False)

    with django_assert_num_queries(4):
        found = selectors.directory(viewer=outsider)
        cards = [_card(space) for space in found["live"] + found["upcoming"]]

    assert len(cards) == 2 * count


@pytest.mark.parametrize("count", MANY)
def test_a_directory_search_is_four_queries(count, outsider, django_assert_num_queries):
    _spaces(count, prefix="live")
    _spaces(count, prefix="later", live=False)

    with django_assert_num_queries(4):
        found = selectors.directory(query="#shared", viewer=outsider)
        cards = [_card(space) for space in found["live"] + found["upcoming"]]

    assert len(cards) == 2 * count


@pytest.mark.parametrize("count", MANY)
def test_the_live_bar_is_two_queries(count, alice, django_assert_num_queries):
    for space in _spaces(count, prefix="bar"):
        follow_create(follower=alice, followee=space.host)

    with django_assert_num_queries(2):
        bubbles = [
            (
                space.title,
                space.host.handle,
                space.listener_count,
                [p.user.name for p in space.on_stage],
            )
            for space in selectors.live_bar(alice)
        ]

    assert len(bubbles) == count


@pytest.mark.parametrize("count", MANY)
def test_the_dashboard_of_hosted_spaces_is_six_queries(count, host, django_assert_num_queries):
    for n in range(count):
        services.space_create(host=host, title=f"Live {n}", topics=["a", f"b{n}"])
        later = services.space_create(host=host, title=f"Later {n}", topics=["c"], start_now=False)
        later.scheduled_for = timezone.now() + timedelta(hours=n + 1)
        later.save(update_fields=["scheduled_for"])
        over = services.space_create(host=host, title=f"Over {n}")
        services.space_end(space=over, actor=host)

    with django_assert_num_queries(6):
        hosted = selectors.hosted_by(host)
        cards = [_card(space) for space in hosted["live"] + hosted["upcoming"]]
        ended = [(space.title, space.get_state_display()) for space in hosted["ended"]]

    assert (len(cards), len(ended)) == (2 * count, count)


@pytest.mark.parametrize("count", [1, 3])
def test_the_pins_are_one_query(count, space, host, django_assert_num_queries):
    for n in range(count):
        author = UserFactory(handle=f"author{n}")
        follow_create(follower=host, followee=author)
        services.pin_add(space=space, actor=host, tweet_id=TweetFactory(author=author).pk)

    with django_assert_num_queries(1):
        pins = selectors.pins(space)

    assert [pin["handle"] for pin in pins] == [f"author{n}" for n in range(count)]


# Hot writes: every query here runs under the Space's row lock ------------------------------


def _crowd(space, count: int) -> None:
    """`count` speakers on the stage, `count` hands raised and `count` listed listeners."""
    for n in range(count):
        on_stage(space, UserFactory(handle=f"crowdspeaker{n}"))
        services.hand_raise(participant=seat(space, UserFactory(handle=f"crowdhand{n}")))
        seat(space, UserFactory(handle=f"crowdlistener{n}"))


@pytest.mark.parametrize("count", MANY)
def test_approving_a_request_is_twelve_queries_in_a_savepoint(
    count, space, host, listener, django_assert_num_queries
):
    _crowd(space, count)
    services.hand_raise(participant=seat_of(space, listener))
    participant_id = seat_of(space, listener).pk

    # SAVEPOINT, RELEASE and twelve queries: the Space's lock is held for all of them.
    with django_assert_num_queries(14):
        services.request_approve(space=space, actor=host, participant_id=participant_id)

    assert seat_of(space, listener).role == Participant.Role.SPEAKER


@pytest.mark.parametrize("count", MANY)
def test_inviting_a_speaker_is_eight_queries_in_a_savepoint(
    count, space, host, listener, django_assert_num_queries
):
    _crowd(space, count)
    participant_id = seat_of(space, listener).pk

    with django_assert_num_queries(10):
        services.speaker_invite(space=space, actor=host, participant_id=participant_id)

    assert seat_of(space, listener).invited_at is not None


@pytest.mark.parametrize("count", MANY)
def test_joining_as_a_listed_listener_is_ten_queries_in_savepoints(
    count, space, django_assert_num_queries
):
    _crowd(space, count)
    newcomer = UserFactory(handle="newcomer")

    # Two savepoints (the service's and the get_or_create's): four statements of them.
    with django_assert_num_queries(14):
        services.space_join(space=space, user=newcomer)

    assert seat_of(space, newcomer).listed is True


@pytest.mark.parametrize("emojis", [["👏"], ["👏", "❤️", "😂"]])
def test_a_reaction_batch_is_three_queries_and_five_per_emoji(
    emojis, space, speaker, django_assert_num_queries, capture_events
):
    counts = dict.fromkeys(emojis, 2)
    reactors = {seat_of(space, speaker).pk: "👏"}

    # The Space's seq, then the tally's transaction; per emoji a get_or_create (with its
    # savepoint) and an update. Bounded by the nine reactions, but one round each.
    with django_assert_num_queries(3 + 5 * len(emojis)), capture_events() as events:
        services.reactions_flush(space_id=space.pk, counts=counts, reactors=reactors)

    assert [event["data"]["counts"] for _group, event in events] == [counts]
