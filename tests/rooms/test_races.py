"""Under real concurrency on PostgreSQL: the stage limit with 30 approvals at once, the
host-away end against two beat runs and against the host coming back; ids past 64 bits."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.errors import error_code
from rooms import selectors, services
from rooms.models import MAX_SPEAKERS, Participant, Space
from tests.concurrency import at_once
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL: CI runs this with DATABASE_URL set",
    ),
]


def test_thirty_concurrent_approvals_put_exactly_ten_speakers_on_stage():
    host = UserFactory(handle="racehost")
    space = services.space_create(host=host, title="Race")
    seats = []
    for n in range(30):
        seat = services.space_join(space=space, user=UserFactory(handle=f"racer{n}"))
        services.hand_raise(participant=seat)
        seats.append(seat)
    results = at_once(
        *(
            lambda seat=seat: services.request_approve(
                space=space, actor=host, participant_id=seat.pk
            )
            for seat in seats
        )
    )
    outcomes = [r.code if isinstance(r, ValidationError) else "approved" for r in results]

    assert sorted(outcomes) == ["approved"] * MAX_SPEAKERS + ["stage_full"] * 20
    assert selectors.present(space).filter(role=Participant.Role.SPEAKER).count() == MAX_SPEAKERS


def _host_away_space(settings):
    settings.HOST_AWAY_GRACE = 300
    host = UserFactory(handle="awayhost")
    space = services.space_create(host=host, title="Away")
    services.space_leave(participant=Participant.objects.get(space=space, user=host))
    return host, space, timezone.now()


def test_two_beat_runs_at_once_warn_the_room_once(settings, events):
    _host, space, left = _host_away_space(settings)

    with time_machine.travel(left + timedelta(seconds=301), tick=False):
        results = at_once(services.host_away_check, services.host_away_check)

    assert sorted(results) == [0, 1]
    room = [e["event"] for group, e in events if group == space.group_name]
    assert room.count("space.ending_soon") == 1


@pytest.mark.parametrize("attempt", range(3))
def test_the_host_coming_back_as_the_space_ends_either_keeps_it_or_finds_it_ended(
    settings, attempt
):
    host, space, left = _host_away_space(settings)
    with time_machine.travel(left + timedelta(seconds=301), tick=False):
        services.host_away_check()

    with time_machine.travel(left + timedelta(seconds=362), tick=False):
        ended, joined = at_once(
            lambda: services.space_host_away_end(space_id=space.pk),
            lambda: services.space_join(space=Space.objects.get(pk=space.pk), user=host),
        )

    space.refresh_from_db()
    host_seat = Participant.objects.get(space=space, user=host)
    if ended is True:
        assert space.state == Space.State.ENDED
        assert error_code(joined) == "space_ended"
        assert host_seat.left_at is not None
    else:
        assert ended is False
        assert (space.state, space.ending_at, host_seat.left_at) == (
            Space.State.LIVE,
            None,
            None,
        )
        assert joined == host_seat


@pytest.mark.parametrize("raw", [2**70, -(2**70), "9" * 30])
def test_ids_past_64_bits_are_no_such_row_on_postgresql(raw):
    host = UserFactory(handle="bighost")
    space = services.space_create(host=host, title="Big ids")

    for service, code in [
        (services.participant_remove, "no_such_participant"),
        (services.cohost_add, "no_such_participant"),
    ]:
        with pytest.raises(ValidationError) as error:
            service(space=space, actor=host, participant_id=raw)
        assert error.value.code == code
    with pytest.raises(ValidationError) as error:
        services.pin_remove(space=space, actor=host, tweet_id=raw)
    assert error.value.code == "not_pinned"
    with pytest.raises(ValidationError) as error:
        services.pin_add(space=space, actor=host, tweet_id=raw)
    assert error.value.code == "no_such_tweet"
