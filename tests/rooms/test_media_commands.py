"""What the services tell the media server, once their change is committed."""

import pytest

from rooms import services
from tests.factories import UserFactory
from tests.rooms.conftest import seat, seat_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_host_mute_drops_the_speakers_audio_at_the_server(media, space, speaker):
    participant = seat_of(space, speaker)

    services.speaker_mute(space=space, actor=space.host, participant_id=participant.pk)

    assert media.commands("mute") == [
        {"space_id": space.pk, "participant_id": participant.pk, "muted": True}
    ]


def test_a_speaker_moved_to_the_audience_loses_the_microphone_only(media, space, speaker):
    participant = seat_of(space, speaker)

    services.speaker_demote(space=space, actor=space.host, participant_id=participant.pk)

    assert media.commands("remove") == [
        {"space_id": space.pk, "participant_id": participant.pk, "publishing_only": True}
    ]


def test_stepping_down_from_the_stage_stops_the_microphone(media, space, speaker):
    services.stage_leave(participant=seat_of(space, speaker))

    [command] = media.commands("remove")
    assert command["publishing_only"] is True


def test_a_removed_participant_is_cut_off_entirely(media, space, listener):
    participant = seat_of(space, listener)

    services.participant_remove(space=space, actor=space.host, participant_id=participant.pk)

    assert media.commands("remove") == [{"space_id": space.pk, "participant_id": participant.pk}]


def test_ending_the_space_closes_its_room(media, space):
    services.space_end(space=space, actor=space.host)

    assert media.commands("close_room") == [{"space_id": space.pk}]


def test_nothing_is_sent_when_the_change_is_refused(media, space, listener):
    participant = seat(space, UserFactory())

    with pytest.raises(Exception, match="Only the host and co-hosts"):
        services.speaker_mute(
            space=space, actor=seat_of(space, listener).user, participant_id=participant.pk
        )

    assert media.calls == []
