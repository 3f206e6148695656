"""The stage limit under real concurrency: 30 approvals at once on PostgreSQL."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from rooms import selectors, services
from rooms.models import MAX_SPEAKERS, Participant
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
    barrier = threading.Barrier(len(seats))
    outcomes = []

    def approve(seat):
        try:
            barrier.wait()
            services.request_approve(space=space, actor=host, participant_id=seat.pk)
            outcomes.append("approved")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(seat,)) for seat in seats]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["approved"] * MAX_SPEAKERS + ["stage_full"] * 20
    assert selectors.present(space).filter(role=Participant.Role.SPEAKER).count() == MAX_SPEAKERS
