"""What the services tell the media server, once their change is committed."""

import base64
import hashlib
import hmac

import pytest

from rooms import services
from rooms.media.ice import ice_servers
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


def test_turn_credentials_follow_coturns_rest_scheme(settings):
    settings.TURN_SECRET = "north-wind"
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_TTL = 600

    [turn] = ice_servers(identity="p42", now=1_800_000_000)

    assert turn["username"] == "1800000600:p42"
    expected = hmac.new(b"north-wind", b"1800000600:p42", hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert turn["urls"] == ["turn:127.0.0.1:3478"]


def test_without_a_turn_secret_there_are_only_the_configured_servers(settings):
    settings.MEDIA_ICE_SERVERS = []
    settings.TURN_SECRET = ""

    assert ice_servers(identity="p1") == []
