"""The host's delete and trim (a persona matrix), the ended Space's page, the download, and
the files served with range requests."""

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse

from accounts.services import block_create
from recordings.models import Recording
from tests.factories import UserFactory
from tests.recordings.conftest import INIT, SEGMENT, stored

pytestmark = pytest.mark.django_db


def file_url(recording, name):
    return reverse("recordings:file", args=[recording.pk, name])


def body(response) -> bytes:
    if not response.streaming:
        return response.content
    if response.is_async:  # as Daphne reads it: chunk by chunk, never whole first

        async def collect():
            return b"".join([chunk async for chunk in response.streaming_content])

        return async_to_sync(collect)()
    return b"".join(response.streaming_content)


# The host's actions ------------------------------------------------------------------------


@pytest.fixture
def personas(host, cohost, listener, recording):
    return {
        "host": host,
        "cohost": cohost,
        "listener": listener,
        "outsider": UserFactory(handle="outsider"),
        "anonymous": None,
    }


@pytest.mark.parametrize("persona", ["cohost", "listener", "outsider", "anonymous"])
@pytest.mark.parametrize(
    ("action", "data"), [("recordings:delete", {}), ("recordings:trim", {"trim_start": "2"})]
)
def test_only_the_host_deletes_or_trims(client, personas, recording, persona, action, data):
    if personas[persona] is not None:
        client.force_login(personas[persona])

    response = client.post(reverse(action, args=[recording.space.code]), data)

    recording.refresh_from_db()
    assert (recording.state, recording.trim_start) == ("ready", 0)
    assert len(stored(recording.space_id)) == 5
    expected = 302 if persona == "anonymous" else 403
    assert response.status_code == expected


def test_the_host_deletes_the_recording(
    client, host, recording, django_capture_on_commit_callbacks
):
    client.force_login(host)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("recordings:delete", args=[recording.space.code]))

    recording.refresh_from_db()
    assert (recording.state, stored(recording.space_id)) == ("deleted", [])
    page = client.get(response.url).content.decode()
    assert "The recording was deleted." in page
    assert "Download the recording" not in page


def test_the_host_edits_the_start_time(client, host, recording):
    client.force_login(host)

    response = client.post(
        reverse("recordings:trim", args=[recording.space.code]),
        {"trim_start": "3"},
        headers={"HX-Request": "true", "HX-Target": "recording-panel"},
    )

    recording.refresh_from_db()
    assert recording.trim_start == 3
    assert "The replay now starts at the new time." in response.content.decode()


@pytest.mark.parametrize(
    ("start", "error"),
    [
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("6", "Choose a start between 0 and 6 seconds."),
        ("60", "Choose a start between 0 and 6 seconds."),
        ("soon", "Enter a number."),
    ],
)
def test_a_start_outside_the_recording_is_refused(client, host, recording, start, error):
    client.force_login(host)

    response = client.post(
        reverse("recordings:trim", args=[recording.space.code]),
        {"trim_start": start},
        headers={"HX-Request": "true"},
    )

    recording.refresh_from_db()
    assert (recording.trim_start, response.status_code) == (0, 422)
    assert error in response.content.decode()


def test_a_deleted_recording_cannot_be_trimmed(client, host, recording):
    Recording.objects.filter(pk=recording.pk).update(state="deleted")
    client.force_login(host)

    client.post(reverse("recordings:trim", args=[recording.space.code]), {"trim_start": "2"})

    recording.refresh_from_db()
    assert recording.trim_start == 0


# The ended Space's page --------------------------------------------------------------------


def test_the_host_sees_the_actions_and_the_download(client, host, recording):
    client.force_login(host)

    page = client.get(recording.space.get_absolute_url()).content.decode()

    assert "Download the recording" in page
    assert "Edit start time" in page
    assert 'data-confirm="Delete this recording? It cannot be brought back."' in page


def test_a_listener_sees_the_replay_but_no_actions(client, recording):
    page = client.get(recording.space.get_absolute_url()).content.decode()

    assert file_url(recording, "index.m3u8") in page
    assert "Delete the recording" not in page
    assert "Download the recording" not in page


def test_the_host_downloads_the_whole_recording(client, host, recording):
    client.force_login(host)

    response = client.get(reverse("recordings:download", args=[recording.space.code]))

    assert (response["Content-Type"], body(response)) == ("audio/mp4", INIT + SEGMENT * 3)
    assert response.is_async  # under Daphne a sync iterator would be read whole into memory
    assert response["Content-Disposition"] == 'attachment; filename="on-the-record.mp4"'


def test_the_download_starts_at_the_edited_start(client, host, recording):
    Recording.objects.filter(pk=recording.pk).update(trim_start=2.5)
    client.force_login(host)

    response = client.get(reverse("recordings:download", args=[recording.space.code]))

    assert body(response) == INIT + SEGMENT * 2


def test_only_the_host_downloads(client, recording):
    client.force_login(UserFactory(handle="someone"))

    response = client.get(reverse("recordings:download", args=[recording.space.code]))

    assert response.status_code == 404


# Files and ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "status", "content_range", "expected"),
    [
        ("bytes=0-9", 206, "bytes 0-9/100", SEGMENT[0:10]),
        ("bytes=10-", 206, "bytes 10-99/100", SEGMENT[10:]),
        ("bytes=-5", 206, "bytes 95-99/100", SEGMENT[-5:]),
        ("bytes=90-200", 206, "bytes 90-99/100", SEGMENT[90:]),
        (None, 200, None, SEGMENT),
        ("bytes=zero-nine", 200, None, SEGMENT),
        ("bytes=9-0", 200, None, SEGMENT),
        ("lines=0-9", 200, None, SEGMENT),
        ("bytes=0-1,5-6", 200, None, SEGMENT),
    ],
)
def test_a_segment_is_served_with_ranges(
    client, recording, header, status, content_range, expected
):
    headers = {"Range": header} if header else {}

    response = client.get(file_url(recording, "seg-000001.m4s"), headers=headers)

    assert (response.status_code, response.get("Content-Range"), body(response)) == (
        status,
        content_range,
        expected,
    )
    assert (response["Content-Length"], response["Accept-Ranges"]) == (str(len(expected)), "bytes")
    assert response["Content-Type"] == "audio/mp4"
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=500-600", "bytes=-0"])
def test_a_range_past_the_end_is_unsatisfiable(client, recording, header):
    response = client.get(file_url(recording, "seg-000000.m4s"), headers={"Range": header})

    assert (response.status_code, response["Content-Range"], response.content) == (
        416,
        "bytes */100",
        b"",
    )


def test_the_init_segment_is_audio(client, recording):
    response = client.get(file_url(recording, "init.mp4"), headers={"Range": "bytes=0-3"})

    assert (response.status_code, response["Content-Type"], body(response)) == (
        206,
        "audio/mp4",
        INIT[:4],
    )


def test_the_playlist_is_served_as_hls(client, recording):
    response = client.get(file_url(recording, "index.m3u8"))

    text = body(response).decode()
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "no-cache" in response["Cache-Control"]
    assert [line for line in text.splitlines() if line.startswith("seg-")] == [
        "seg-000000.m4s",
        "seg-000001.m4s",
        "seg-000002.m4s",
    ]
    assert text.rstrip().endswith("#EXT-X-ENDLIST")


def test_the_playlist_starts_at_the_edited_start(client, recording):
    Recording.objects.filter(pk=recording.pk).update(trim_start=2.5)

    text = body(client.get(file_url(recording, "index.m3u8"))).decode()

    assert [
        line
        for line in text.splitlines()
        if line.startswith(("seg-", "#EXT-X-START", "#EXT-X-MEDIA-SEQ"))
    ] == [
        "#EXT-X-MEDIA-SEQUENCE:1",
        "#EXT-X-START:TIME-OFFSET=0.500,PRECISE=YES",
        "seg-000001.m4s",
        "seg-000002.m4s",
    ]


def test_nginx_sends_the_bytes_when_configured(client, recording, settings):
    settings.RECORDINGS_X_ACCEL_PREFIX = "/protected/"

    response = client.get(file_url(recording, "seg-000002.m4s"), headers={"Range": "bytes=0-9"})

    assert (response.status_code, response["X-Accel-Redirect"], response.content) == (
        200,
        f"/protected/hls/{recording.space_id}/seg-000002.m4s",
        b"",
    )
    assert response["Content-Type"] == "audio/mp4"


@pytest.mark.parametrize(
    "name", ["live.m3u8", "seg-1.m4s", "..%2Finit.mp4", "init.mp4.bak", "seg-000000.m4s.tmp"]
)
def test_only_recording_files_are_served(client, recording, name):
    assert client.get(file_url(recording, name)).status_code == 404


@pytest.mark.parametrize("state", ["deleted", "failed", "recording"])
def test_a_recording_not_ready_is_not_found(client, recording, state):
    Recording.objects.filter(pk=recording.pk).update(state=state)

    assert client.get(file_url(recording, "init.mp4")).status_code == 404


def test_an_expired_recording_is_not_found(client, recording):
    Recording.objects.filter(pk=recording.pk).update(expires_at=recording.ended_at)

    assert client.get(file_url(recording, "init.mp4")).status_code == 404


def test_a_missing_file_is_not_found(client, recording):
    assert client.get(file_url(recording, "seg-000009.m4s")).status_code == 404


def test_someone_the_host_blocked_cannot_play_it(client, host, recording):
    blocked = UserFactory(handle="blocked")
    block_create(blocker=host, blocked=blocked)
    client.force_login(blocked)

    assert client.get(file_url(recording, "init.mp4")).status_code == 404
    page = client.get(recording.space.get_absolute_url()).content.decode()
    assert file_url(recording, "index.m3u8") not in page


def test_anyone_plays_a_public_recording(client, recording):
    response = client.get(file_url(recording, "init.mp4"))

    assert (response.status_code, body(response)) == (200, INIT)
