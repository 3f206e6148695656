"""The recording's life through the real signals: rooms' start and end, the egress's
failure and close."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync

from mediaserver.signals import egress_closed, egress_failed
from notifications.models import Notification
from recordings import files
from recordings.models import Recording
from rooms import selectors as rooms_selectors
from rooms import services
from rooms.models import Space
from tests.recordings.conftest import stored, write_hls

pytestmark = pytest.mark.django_db


def fail(
    space, reason="OSError: [Errno 28] No space left on device: '/srv/x/hls/1/seg-000001.m4s'"
):
    async_to_sync(egress_failed.asend)(sender=None, space_id=space.pk, reason=reason)


def test_it_starts_recording_when_a_recorded_space_goes_live(recorded):
    recording = Recording.objects.get(space=recorded)

    assert (recording.state, recording.prefix, recording.started_at) == (
        "recording",
        f"hls/{recorded.pk}/",
        recorded.started_at,
    )


def test_an_unrecorded_space_has_no_recording(unrecorded):
    assert Recording.objects.filter(space=unrecorded).exists() is False


def test_it_is_ready_when_the_space_ends(ended):
    recording = Recording.objects.get(space=ended)
    ended.refresh_from_db()

    assert (recording.state, recording.ended_at, recording.duration) == (
        "ready",
        ended.ended_at,
        6.0,
    )
    assert recording.expires_at == ended.ended_at + timedelta(days=30)
    playlist = files.storage().size(f"hls/{ended.pk}/index.m3u8")
    assert recording.size == 40 + 3 * 100 + playlist


def test_retention_follows_the_setting(
    recorded, host, settings, django_capture_on_commit_callbacks
):
    settings.RECORDING_RETENTION_DAYS = 7
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)
    recorded.refresh_from_db()

    assert Recording.objects.get(space=recorded).expires_at == recorded.ended_at + timedelta(days=7)


def test_it_keeps_the_files_of_a_recorded_space(ended):
    assert stored(ended.pk) == [
        "index.m3u8",
        "init.mp4",
        "seg-000000.m4s",
        "seg-000001.m4s",
        "seg-000002.m4s",
    ]


def test_it_deletes_the_files_of_an_unrecorded_space_after_the_end(
    unrecorded, host, django_capture_on_commit_callbacks
):
    write_hls(unrecorded.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=unrecorded, actor=host)

    assert (stored(unrecorded.pk), Recording.objects.count()) == ([], 0)


def test_a_space_ended_by_its_absent_host_is_recorded_too(
    recorded, django_capture_on_commit_callbacks
):
    write_hls(recorded.pk, segments=2)
    Space.objects.filter(pk=recorded.pk).update(ending_at=recorded.started_at)
    recorded.participants.filter(role="host").update(left_at=recorded.started_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.space_host_away_end(space_id=recorded.pk) is True

    recording = Recording.objects.get(space=recorded)
    assert (recording.state, recording.duration) == ("ready", 4.0)


def test_nothing_recorded_is_a_failed_recording(recorded, host, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)

    recording = Recording.objects.get(space=recorded)
    assert (recording.state, recording.failure_reason) == ("failed", "Nothing was recorded.")


def test_what_the_egress_wrote_after_an_unrecorded_end_goes_when_it_closes(
    unrecorded, host, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=unrecorded, actor=host)
    write_hls(unrecorded.pk, segments=1)  # the stream's last segment, after the deletion

    async_to_sync(egress_closed.asend)(sender=None, space_id=unrecorded.pk, segments=1, duration=2)

    assert (stored(unrecorded.pk), Recording.objects.count()) == ([], 0)


def test_egress_closed_sets_the_duration_it_wrote(ended):
    async_to_sync(egress_closed.asend)(sender=None, space_id=ended.pk, segments=3, duration=5.98)

    assert Recording.objects.get(space=ended).duration == 5.98


def test_egress_failed_tells_the_host_once_and_the_space_goes_on(recorded, host, capture_events):
    with capture_events() as events:
        fail(recorded)
        fail(recorded, reason="OSError: [Errno 30] Read-only file system: '/srv/x'")

    recording = Recording.objects.get(space=recorded)
    recorded.refresh_from_db()
    assert (recording.state, recording.failure_reason, recording.failed_at is not None) == (
        "failed",
        "the storage cannot be written",
        True,
    )
    assert list(Notification.objects.values_list("user__handle", "kind", "text")) == [
        (
            "host",
            "rec_failed",
            "Recording of “On the record” failed: the storage is full. The Space goes on.",
        )
    ]
    room = [(group, event) for group, event in events if group == recorded.group_name]
    assert room == [
        (
            recorded.group_name,
            {
                "type": "space.event",
                "event": "recording.failed",
                "seq": recorded.seq,
                "data": {},
            },
        )
    ]
    assert [group for group, _ in events if group != recorded.group_name] == [host.group_name]
    assert (recorded.state, recorded.participants.filter(left_at=None).count()) == ("live", 1)
    # A reload of the host's page still says so: the room's snapshot carries it.
    assert rooms_selectors.space_snapshot(recorded)["recording_failed"] is True


def test_egress_failed_for_an_unrecorded_space_tells_nobody(unrecorded, capture_events):
    with capture_events() as events:
        fail(unrecorded)

    assert (events, Notification.objects.count()) == ([], 0)


def test_a_receiver_that_fails_never_reaches_the_media_server(recorded, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("recordings.services.recording_fail", broken)

    fail(recorded)  # does not raise

    assert Recording.objects.get(space=recorded).state == "recording"
