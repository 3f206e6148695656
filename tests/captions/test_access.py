"""Who reads and who downloads a Space's transcript (captions/access.py), over every
interface: the page, the API, the replay's track, the downloads and the search; for a
recorded Space, one never recorded, and one whose recording expired or was deleted."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import block_create
from captions.models import CaptionSegment
from captions.selectors import transcript_search
from recordings import services as recording_services
from recordings.models import Recording
from rooms import services
from rooms.models import Participant
from tests.captions.factories import said
from tests.factories import UserFactory
from tests.recordings.conftest import write_hls
from tests.rooms.conftest import on_stage, seat

pytestmark = pytest.mark.django_db

PERSONAS = [
    "host",
    "cohost",
    "past_cohost",
    "speaker",
    "listener",
    "outsider",
    "anonymous",
    "blocked",
    "banned",
    "removed",
]
READERS_OF_A_REPLAY = {"host", "cohost", "past_cohost", "speaker", "listener", "outsider"}
READERS_OF_A_REPLAY |= {"anonymous"}
KEEPERS = {"host", "cohost"}  # who download; and who read once there is no replay
SHUT_OUT = {"blocked", "banned", "removed"}


@pytest.fixture
def people(host):
    handles = [p for p in PERSONAS if p not in ("host", "anonymous")]
    return {"host": host, "anonymous": None} | {h: UserFactory(handle=h) for h in handles}


def ended(people, capture, *, record: bool):
    """An ended Space where every persona did their part, and the host said a phrase."""
    host = people["host"]
    space = services.space_create(host=host, title="Said and kept", record=record)
    on_stage(space, people["cohost"], Participant.Role.COHOST)
    past = on_stage(space, people["past_cohost"], Participant.Role.COHOST)
    services.space_leave(participant=past)  # stepped out before the end
    on_stage(space, people["speaker"])
    seat(space, people["listener"])
    for handle, ban in (("removed", False), ("banned", True)):
        participant = seat(space, people[handle])
        services.participant_remove(space=space, actor=host, participant_id=participant.pk, ban=ban)
    block_create(blocker=host, blocked=people["blocked"])
    if record:
        write_hls(space.pk)
    with capture(execute=True):
        services.space_end(space=space, actor=host)
    said(space, host, "Quarterly zeppelin numbers", at=0.5, until=2.0)
    return space


@pytest.fixture
def recorded(people, django_capture_on_commit_callbacks):
    return ended(people, django_capture_on_commit_callbacks, record=True)


@pytest.fixture
def unrecorded(people, django_capture_on_commit_callbacks):
    return ended(people, django_capture_on_commit_callbacks, record=False)


@pytest.fixture
def expired(recorded):
    """Past its retention, before the hourly task deleted it: no replay to play."""
    Recording.objects.filter(space=recorded).update(expires_at=timezone.now() - timedelta(hours=1))
    return recorded


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def get(space, people, persona, name, *args):
    return client_for(people[persona]).get(reverse(f"captions:{name}", args=[space.code, *args]))


def found(space, people, persona) -> bool:
    hits = transcript_search(query="zeppelin", viewer=people[persona])
    return [hit.space for hit in hits] == [space]


def reads(space, people, persona) -> dict:
    """What the persona gets from each interface that reads."""
    page = get(space, people, persona, "transcript")
    api = client_for(people[persona]).get(f"/api/spaces/{space.code}/transcript/")
    track = get(space, people, persona, "replay-track")
    return {
        "page": "Quarterly zeppelin numbers" in page.content.decode(),
        "page_status": page.status_code,
        "api": api.status_code == 200 and api.json()["segments"][0]["text"].startswith("Q"),
        "api_status": api.status_code,
        "track": "zeppelin" in track.content.decode(),
        "track_status": track.status_code,
        "search": found(space, people, persona),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_recorded_spaces_transcript_is_read_by_whoever_may_play_its_replay(
    recorded, people, persona
):
    got = reads(recorded, people, persona)

    yes = persona in READERS_OF_A_REPLAY
    status = 200 if yes else 404
    assert got == {
        "page": yes,
        "page_status": status,
        "api": yes,
        "api_status": status,
        "track": yes,
        "track_status": status,
        "search": yes,
    }


@pytest.mark.parametrize("scenario", ["unrecorded", "expired"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_without_a_replay_only_the_host_and_cohosts_read_it(request, people, scenario, persona):
    space = request.getfixturevalue(scenario)

    got = reads(space, people, persona)

    yes = persona in KEEPERS
    assert got == {
        "page": yes,
        "page_status": 200 if yes else 404,
        "api": yes,
        "api_status": 200 if yes else 404,
        "track": False,  # no replay to carry it
        "track_status": 404,
        "search": yes,
    }


@pytest.mark.parametrize("scenario", ["recorded", "unrecorded"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_host_and_cohosts_download(request, people, scenario, persona):
    space = request.getfixturevalue(scenario)

    response = get(space, people, persona, "transcript-file", "txt")

    text = response.content.decode()
    if persona in KEEPERS:
        assert (response.status_code, text) == (
            200,
            "[00:00:00] Hana Host: Quarterly zeppelin numbers\n",
        )
    elif persona in SHUT_OUT:
        assert response.status_code == 404
        assert "zeppelin" not in text
    else:
        assert (response.status_code, text) == (
            403,
            "Only the host and co-hosts can download the transcript.\n",
        )


def test_an_outsider_is_told_why_without_learning_what_was_captioned(unrecorded, people):
    page = get(unrecorded, people, "outsider", "transcript")
    api = client_for(people["outsider"]).get(f"/api/spaces/{unrecorded.code}/transcript/")

    reason = "This Space has no transcript: there is no replay of it."
    assert page.status_code == 404
    assert reason in page.content.decode()
    assert api.json()["detail"] == reason


def test_the_ended_space_page_links_to_the_transcript_only_for_its_readers(unrecorded, people):
    link = f'href="{reverse("captions:transcript", args=[unrecorded.code])}"'

    for_host = client_for(people["host"]).get(unrecorded.get_absolute_url()).content.decode()
    for_listener = (
        client_for(people["listener"]).get(unrecorded.get_absolute_url()).content.decode()
    )

    assert link in for_host
    assert link not in for_listener


def test_a_search_of_a_removed_persons_space_finds_nothing_for_them(recorded, people):
    assert found(recorded, people, "listener")
    assert not found(recorded, people, "removed")


# Deleted with the recording --------------------------------------------------------------


def test_the_hosts_delete_takes_the_transcript_with_the_recording(recorded, people):
    recording = Recording.objects.get(space=recorded)

    recording_services.recording_delete(recording=recording, actor=people["host"])

    assert CaptionSegment.objects.filter(space=recorded).count() == 0
    page = get(recorded, people, "host", "transcript")
    assert page.status_code == 404
    assert "nothing was captioned in it" in page.content.decode()


def test_retention_expiry_takes_the_transcript_with_the_recording(expired, people):
    other = services.space_create(host=people["host"], title="Never recorded")
    services.space_end(space=other, actor=people["host"])
    said(other, people["host"], "Kept for the host", at=1, until=2)

    assert recording_services.recordings_expire() == 1

    assert CaptionSegment.objects.filter(space=expired).count() == 0
    # A Space never recorded keeps its transcript, for its host and co-hosts.
    assert CaptionSegment.objects.filter(space=other).count() == 1
