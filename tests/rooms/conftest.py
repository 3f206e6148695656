import pytest

from accounts.services import block_create
from rooms import services
from rooms.models import Participant
from tests.factories import UserFactory


@pytest.fixture
def space(host):
    return services.space_create(host=host, title="Morning show", topics=["news", "#Coffee"])


def seat(space, user=None, anon_id=""):
    return services.space_join(space=space, user=user, anon_id=anon_id)


def on_stage(space, user, role=Participant.Role.SPEAKER):
    participant = seat(space, user)
    if role == Participant.Role.COHOST:
        return services.cohost_add(space=space, actor=space.host, participant_id=participant.pk)
    services.hand_raise(participant=participant)
    return services.request_approve(space=space, actor=space.host, participant_id=participant.pk)


@pytest.fixture
def cohost(space):
    user = UserFactory(handle="cohost")
    on_stage(space, user, Participant.Role.COHOST)
    return user


@pytest.fixture
def speaker(space):
    user = UserFactory(handle="speaker")
    on_stage(space, user)
    return user


@pytest.fixture
def listener(space):
    user = UserFactory(handle="listener")
    seat(space, user)
    return user


@pytest.fixture
def banned(space, host):
    user = UserFactory(handle="banned")
    participant = seat(space, user)
    services.participant_remove(space=space, actor=host, participant_id=participant.pk, ban=True)
    return user


@pytest.fixture
def blocked(host):
    user = UserFactory(handle="blocked")
    block_create(blocker=host, blocked=user)
    return user


def seat_of(space, user) -> Participant:
    return Participant.objects.get(space=space, user=user)
