"""The transcript of an ended Space: its page, the host's and co-hosts' downloads, the
replay's and a clip's WebVTT tracks, the API; and what each persona gets."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import block_create
from captions.models import CaptionSegment
from recordings.models import Clip, Recording
from rooms import services
from rooms.models import Participant
from tests.captions.factories import said
from tests.factories import UserFactory
from tests.recordings.conftest import write_hls
from tests.rooms.conftest import on_stage, seat

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(host):
    cohost, speaker, listener = (UserFactory(handle=h) for h in ("cohost", "grace", "listener"))
    speaker.display_name = "Grace Hopper"
    speaker.save()
    return {"host": host, "cohost": cohost, "speaker": speaker, "listener": listener}


@pytest.fixture
def space(people, django_capture_on_commit_callbacks):
    """An ended recorded Space (6 s of recording, no dates: offsets count from when the
    recording started) where the host and Grace said a phrase each."""
    host = people["host"]
    space = services.space_create(host=host, title="On the record", record=True)
    on_stage(space, people["cohost"], Participant.Role.COHOST)
    on_stage(space, people["speaker"])
    seat(space, people["listener"])
    write_hls(space.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=space, actor=host)
    zero = Recording.objects.get(space=space).started_at.timestamp()
    said(space, host, "Welcome & thanks <all>", at=0.5, until=2.25, epoch=zero)
    said(space, people["speaker"], "Compilers are friends", at=3.0, until=4.5, epoch=zero)
    return space


@pytest.fixture
def silent(host, django_capture_on_commit_callbacks):
    space = services.space_create(host=host, title="Nothing captioned", record=True)
    write_hls(space.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=space, actor=host)
    return space


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url(name, space, *args):
    return reverse(f"captions:{name}", args=[space.code, *args])


# The page -----------------------------------------------------------------------------------


def test_it_lists_who_said_what_when_with_links_into_the_replay(space):
    page = Client().get(url("transcript", space))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Hana Host" in html
    assert "Welcome &amp; thanks &lt;all&gt;" in html
    assert "Grace Hopper" in html
    assert "Compilers are friends" in html
    path = space.get_absolute_url()
    assert f'href="{path}?t=0.5#replay"' in html
    assert f'href="{path}?t=3#replay"' in html
    assert html.index("Welcome") < html.index("Compilers")
    assert "transcript-downloads" not in html  # an anonymous visitor downloads nothing


@pytest.mark.parametrize("persona", ["host", "cohost"])
def test_the_host_and_cohosts_see_the_downloads(space, people, persona):
    html = client_for(people[persona]).get(url("transcript", space)).content.decode()

    for kind in ("txt", "vtt", "srt"):
        assert f'href="{url("transcript-file", space, kind)}"' in html


@pytest.mark.parametrize("persona", ["speaker", "listener"])
def test_others_see_no_downloads(space, people, persona):
    html = client_for(people[persona]).get(url("transcript", space)).content.decode()

    assert "transcript-downloads" not in html
    assert "Compilers are friends" in html


def test_a_space_without_captions_says_it_has_no_transcript(silent):
    page = Client().get(url("transcript", silent))

    assert page.status_code == 404
    assert "This Space has no transcript: nothing was captioned in it." in page.content.decode()


def test_a_live_space_says_the_transcript_comes_at_its_end(host):
    live = services.space_create(host=host, title="Still on")

    page = Client().get(url("transcript", live))

    assert page.status_code == 404
    assert "The transcript is here once the Space has ended." in page.content.decode()


def test_someone_the_host_blocked_gets_a_404(space, people):
    block_create(blocker=people["host"], blocked=people["listener"])

    assert client_for(people["listener"]).get(url("transcript", space)).status_code == 404


def test_without_a_replay_the_host_reads_lines_without_links(space, people):
    Recording.objects.filter(space=space).update(state=Recording.State.FAILED)

    html = client_for(people["host"]).get(url("transcript", space)).content.decode()

    assert "Compilers are friends" in html
    assert "?t=" not in html


def test_the_ended_space_page_links_to_its_transcript(space, silent):
    with_link = Client().get(space.get_absolute_url()).content.decode()
    without = Client().get(silent.get_absolute_url()).content.decode()

    assert f'href="{url("transcript", space)}"' in with_link
    assert "space-transcript-link" not in without


# Downloads ----------------------------------------------------------------------------------


def test_the_host_downloads_the_text(space, people):
    response = client_for(people["host"]).get(url("transcript-file", space, "txt"))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="transcript-{space.code}.txt"'
    )
    assert response.content.decode() == (
        "[00:00:00] Hana Host: Welcome & thanks <all>\n"
        "[00:00:03] Grace Hopper: Compilers are friends\n"
    )


def test_a_cohost_downloads_webvtt_and_srt(space, people):
    client = client_for(people["cohost"])

    vtt = client.get(url("transcript-file", space, "vtt"))
    srt = client.get(url("transcript-file", space, "srt"))

    assert vtt["Content-Disposition"] == f'attachment; filename="transcript-{space.code}.vtt"'
    assert vtt.content.decode() == (
        "WEBVTT\n\n"
        "00:00:00.500 --> 00:00:02.250\n<v Hana Host>Welcome &amp; thanks &lt;all&gt;\n\n"
        "00:00:03.000 --> 00:00:04.500\n<v Grace Hopper>Compilers are friends\n"
    )
    assert srt["Content-Disposition"] == f'attachment; filename="transcript-{space.code}.srt"'
    assert srt.content.decode() == (
        "1\n00:00:00,500 --> 00:00:02,250\nHana Host: Welcome & thanks <all>\n\n"
        "2\n00:00:03,000 --> 00:00:04,500\nGrace Hopper: Compilers are friends\n"
    )


@pytest.mark.parametrize("persona", ["speaker", "listener", "outsider", "anonymous"])
def test_others_may_not_download(space, people, outsider, persona):
    user = {**people, "outsider": outsider, "anonymous": None}[persona]

    response = client_for(user).get(url("transcript-file", space, "txt"))

    assert response.status_code == 403
    assert response.content.decode() == "Only the host and co-hosts can download the transcript.\n"


def test_a_download_of_nothing_captioned_says_why(silent, host):
    response = client_for(host).get(url("transcript-file", silent, "srt"))

    assert response.status_code == 404
    assert "This Space has no transcript" in response.content.decode()


def test_an_unknown_format_is_a_404(space, people):
    assert client_for(people["host"]).get(url("transcript-file", space, "pdf")).status_code == 404


# The replay's track -------------------------------------------------------------------------


def test_anyone_who_may_play_the_replay_gets_its_track(space, people):
    response = client_for(people["listener"]).get(url("replay-track", space))

    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode().startswith(
        "WEBVTT\n\n00:00:00.500 --> 00:00:02.250\n<v Hana Host>"
    )
    assert "Content-Disposition" not in response


def test_the_track_is_refused_like_the_replay(space, people):
    block_create(blocker=people["host"], blocked=people["listener"])

    response = client_for(people["listener"]).get(url("replay-track", space))

    assert response.status_code == 404
    assert response.content.decode() == "No such Space.\n"


def test_a_track_of_nothing_captioned_says_why(silent):
    response = Client().get(url("replay-track", silent))

    assert response.status_code == 404
    assert "nothing was captioned" in response.content.decode()


# The replay on the Space's page ------------------------------------------------------------


def test_the_replay_carries_the_captions_at_their_offsets(space):
    html = Client().get(space.get_absolute_url()).content.decode()

    assert 'id="replay-captions-data"' in html
    assert '"start": 3.0, "end": 4.5, "speaker": "Grace Hopper"' in html
    assert 'id="replay-captions-toggle"' in html


def test_a_replay_without_captions_has_no_captions_controls(silent):
    html = Client().get(silent.get_absolute_url()).content.decode()

    assert 'id="replay-captions"' in html  # the empty place, hidden
    assert "replay-captions-data" not in html
    assert "replay-captions-toggle" not in html


# Clips ---------------------------------------------------------------------------------------


def cut(space, creator, *, start: float, duration: float) -> Clip:
    """A clip's row (the clip tests cut real audio; here only its span matters)."""
    recording = Recording.objects.get(space=space)
    return Clip.objects.create(
        recording=recording, creator=creator, start=start, duration=duration, path="clip.mp4"
    )


@pytest.fixture
def clip(space, people):
    return cut(space, people["listener"], start=2.0, duration=3.0)


def test_a_clip_page_shows_its_part_of_the_transcript_and_its_track(clip):
    html = Client().get(clip.get_absolute_url()).content.decode()

    track = reverse("captions:clip-track", args=[clip.code])
    assert f'<track kind="captions" src="{track}"' in html
    assert "Welcome &amp; thanks" in html  # said until 0:02.25, the clip starts at 0:02
    assert "Compilers are friends" in html


def test_a_clips_track_counts_from_the_clip_start(clip):
    response = Client().get(reverse("captions:clip-track", args=[clip.code]))

    assert response.content.decode() == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:00.250\n<v Hana Host>Welcome &amp; thanks &lt;all&gt;\n\n"
        "00:00:01.000 --> 00:00:02.500\n<v Grace Hopper>Compilers are friends\n"
    )


def test_a_clip_with_nothing_said_has_no_track(space, people):
    quiet = cut(space, people["listener"], start=4.75, duration=1.0)

    html = Client().get(quiet.get_absolute_url()).content.decode()
    response = Client().get(reverse("captions:clip-track", args=[quiet.code]))

    assert "<track" not in html
    assert "clip-transcript" not in html
    assert response.status_code == 404
    assert response.content.decode() == "Nothing was captioned in this clip.\n"


# The API ------------------------------------------------------------------------------------


def test_the_api_gives_the_segments_with_speaker_and_offset(space, api):
    response = api.get(f"/api/spaces/{space.code}/transcript/")

    body = response.json()
    assert body["space"] == space.code
    assert [(s["speaker"], s["text"], s["offset"], s["end"]) for s in body["segments"]] == [
        ({"handle": "host", "name": "Hana Host"}, "Welcome & thanks <all>", 0.5, 2.25),
        ({"handle": "grace", "name": "Grace Hopper"}, "Compilers are friends", 3.0, 4.5),
    ]
    first = CaptionSegment.objects.order_by("started_at").first()
    assert body["segments"][0]["id"] == first.pk
    assert body["segments"][0]["started_at"].startswith(first.started_at.strftime("%Y-%m-%dT"))


def test_the_api_says_when_there_is_no_transcript(silent, api):
    response = api.get(f"/api/spaces/{silent.code}/transcript/")

    assert response.status_code == 404
    assert response.json()["detail"] == (
        "This Space has no transcript: nothing was captioned in it."
    )
