"""The live HLS stream's files (rooms/hls.py): served while the Space is live (and for a grace
period after its end) to anyone who may listen, with ranges; 404 later, for a bad name, a
banned or blocked person."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.services import block_create
from mediaserver.egress import storage
from mediaserver.egress.hls import prefix as storage_prefix
from rooms import services
from tests.factories import UserFactory
from tests.recordings.conftest import INIT, SEGMENT, write_hls
from tests.rooms.conftest import seat

pytestmark = pytest.mark.django_db

LIVE = b"#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\nseg-000000.m4s\n"


@pytest.fixture
def live(host):
    """A live Space whose egress has written a segment and the live playlist."""
    space = services.space_create(host=host, title="Out loud")
    write_hls(space.pk, segments=1, ended=False)
    storage().save(storage_prefix(space.pk) + "live.m3u8", ContentFile(LIVE))
    return space


def live_url(space, name):
    return reverse("rooms:live_hls", args=[space.code, name])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_url_is_the_contracts(live):
    assert live_url(live, "live.m3u8") == f"/spaces/{live.code}/hls/live.m3u8"


@pytest.mark.parametrize("signed_in", [True, False])
def test_anyone_who_may_listen_gets_the_playlist(client, live, signed_in):
    if signed_in:
        client.force_login(UserFactory(handle="fan"))

    response = client.get(live_url(live, "live.m3u8"))

    assert (response.status_code, body(response)) == (200, LIVE)
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_segments_are_served_whole_and_cacheable(client, live):
    init = client.get(live_url(live, "init.mp4"))
    segment = client.get(live_url(live, "seg-000000.m4s"))

    assert (init.status_code, body(init)) == (200, INIT)
    assert (segment.status_code, body(segment)) == (200, SEGMENT)
    assert segment["Content-Type"] == "audio/mp4"
    assert "max-age=3600" in segment["Cache-Control"]
    assert "no-cache" not in segment["Cache-Control"]


def test_a_segment_range_is_206_with_those_bytes(client, live):
    response = client.get(live_url(live, "seg-000000.m4s"), headers={"Range": "bytes=10-19"})

    assert (response.status_code, response["Content-Range"], body(response)) == (
        206,
        f"bytes 10-19/{len(SEGMENT)}",
        SEGMENT[10:20],
    )


def test_a_range_past_the_end_is_416(client, live):
    response = client.get(live_url(live, "init.mp4"), headers={"Range": "bytes=999-"})

    assert response.status_code == 416


@pytest.mark.parametrize(
    "name",
    ["index.m3u8", "seg-1.m4s", "seg-000000.mp4", "..%2Finit.mp4", "live.m3u8x", "passwd"],
)
def test_other_names_are_404(client, live, name):
    assert client.get(live_url(live, name)).status_code == 404


def test_a_segment_not_written_yet_is_404(client, live):
    assert client.get(live_url(live, "seg-000007.m4s")).status_code == 404


def test_an_ended_space_is_served_for_the_grace_then_404(client, live, host, settings):
    """Its HLS listeners are seconds behind: they get the last segments and the ENDLIST."""
    settings.LIVE_HLS_GRACE_SECONDS = 30
    services.space_end(space=live, actor=host)  # (the files' deletion waits for commit)
    live.refresh_from_db()

    with time_machine.travel(live.ended_at + timedelta(seconds=29)):
        playlist = client.get(live_url(live, "live.m3u8"))
        segment = client.get(live_url(live, "seg-000000.m4s"))
    with time_machine.travel(live.ended_at + timedelta(seconds=31)):
        late = client.get(live_url(live, "live.m3u8"))
        late_segment = client.get(live_url(live, "seg-000000.m4s"))

    assert (playlist.status_code, body(playlist)) == (200, LIVE)
    assert (segment.status_code, body(segment)) == (200, SEGMENT)
    assert (late.status_code, late_segment.status_code) == (404, 404)
    assert LIVE not in late.content
    assert SEGMENT not in late_segment.content


def test_an_unrecorded_spaces_files_are_deleted_after_the_grace(
    live, host, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.LIVE_HLS_GRACE_SECONDS = 30
    queued = []
    task = import_string("recordings.tasks.delete_space_files")
    monkeypatch.setattr(task, "apply_async", lambda args, **kw: queued.append((args, kw)))

    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=live, actor=host)

    assert queued == [((live.pk,), {"countdown": 30})]
    assert storage().exists(storage_prefix(live.pk) + "live.m3u8")


def test_the_playlist_is_read_whole_even_while_the_egress_replaces_it(client, live, monkeypatch):
    """The egress (on a storage without paths) deletes it, then saves the new one."""
    store = type(storage())
    real_open = store.open
    misses = []

    def replacing(self, name, mode="rb"):
        if name.endswith("live.m3u8") and not misses:
            misses.append(name)
            raise FileNotFoundError(name)  # between the delete and the save
        return real_open(self, name, mode)

    monkeypatch.setattr(store, "open", replacing)

    response = client.get(live_url(live, "live.m3u8"))

    assert (response.status_code, response.content, len(misses)) == (200, LIVE, 1)
    assert not response.streaming
    assert response["Content-Length"] == str(len(LIVE))


def test_the_playlist_never_goes_through_nginx(client, live, settings):
    """nginx could open it between the egress's delete and save; segments never change."""
    settings.RECORDINGS_X_ACCEL_PREFIX = "/protected/"

    playlist = client.get(live_url(live, "live.m3u8"))
    segment = client.get(live_url(live, "seg-000000.m4s"))

    assert (playlist.content, "X-Accel-Redirect" in playlist) == (LIVE, False)
    assert segment["X-Accel-Redirect"] == f"/protected/hls/{live.pk}/seg-000000.m4s"


def test_a_space_not_started_yet_is_404(client, host):
    scheduled = services.space_create(host=host, title="Later")
    scheduled.state = scheduled.State.SCHEDULED
    scheduled.save(update_fields=["state"])

    assert client.get(live_url(scheduled, "live.m3u8")).status_code == 404


def test_an_unknown_space_is_404(client, live):
    assert client.get(reverse("rooms:live_hls", args=["nope", "live.m3u8"])).status_code == 404


def test_a_person_banned_by_the_host_is_404(client, live, host):
    banned = UserFactory(handle="banned")
    participant = seat(live, banned)
    services.participant_remove(space=live, actor=host, participant_id=participant.pk, ban=True)
    client.force_login(banned)

    assert client.get(live_url(live, "live.m3u8")).status_code == 404
    assert client.get(live_url(live, "seg-000000.m4s")).status_code == 404


@pytest.mark.parametrize("direction", ["host blocks", "blocks host"])
def test_a_block_either_way_is_404(client, live, host, direction):
    other = UserFactory(handle="other")
    if direction == "host blocks":
        block_create(blocker=host, blocked=other)
    else:
        block_create(blocker=other, blocked=host)
    client.force_login(other)

    assert client.get(live_url(live, "live.m3u8")).status_code == 404


def test_an_anonymous_browser_removed_from_the_space_is_404(client, live, host):
    client.get(live.get_absolute_url())  # the page gives the browser its identity
    anon = client.session["anon_id"]
    participant = seat(live, anon_id=anon)
    services.participant_remove(space=live, actor=host, participant_id=participant.pk)

    assert client.get(live_url(live, "live.m3u8")).status_code == 404


def test_post_is_refused(client, live):
    assert client.post(live_url(live, "live.m3u8")).status_code == 405


def test_an_anonymous_request_creates_no_session(client, live):
    response = client.get(live_url(live, "seg-000000.m4s"))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
