"""A full or unwritable storage never stops a Space: the host is told, the room goes on,
and ending it still ends it."""

import pytest
from asgiref.sync import async_to_sync

from mediaserver.signals import egress_failed
from recordings.models import Recording
from rooms import services
from tests.recordings.conftest import stored, write_hls

pytestmark = pytest.mark.django_db
FULL = "OSError: [Errno 28] No space left on device: '/srv/spaces/var/egress/hls/1/seg-000003.m4s'"


@pytest.fixture
def broken(settings):
    settings.EGRESS_STORAGE = "tests.recordings.conftest.BrokenStorage"


def test_a_recorded_space_ends_on_a_broken_storage(
    recorded, host, broken, django_capture_on_commit_callbacks
):
    async_to_sync(egress_failed.asend)(sender=None, space_id=recorded.pk, reason=FULL)
    recorded.refresh_from_db()
    assert recorded.state == "live"

    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)

    recorded.refresh_from_db()
    recording = Recording.objects.get(space=recorded)
    assert (recorded.state, recording.state, recording.failure_reason) == (
        "ended",
        "failed",
        "the storage is full",
    )


def test_a_recording_that_failed_for_a_while_is_ready_with_the_failure_noted(
    recorded, host, django_capture_on_commit_callbacks
):
    async_to_sync(egress_failed.asend)(sender=None, space_id=recorded.pk, reason=FULL)
    write_hls(recorded.pk)  # the egress retried, and later segments landed

    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)

    recording = Recording.objects.get(space=recorded)
    assert (recording.state, recording.duration, recording.failure_reason) == (
        "ready",
        6.0,
        "the storage is full",
    )


def test_a_failure_after_the_end_is_noted_and_tells_nobody(ended, capture_events):
    with capture_events() as events:
        async_to_sync(egress_failed.asend)(
            sender=None, space_id=ended.pk, reason="TimeoutError: closing"
        )

    recording = Recording.objects.get(space=ended)
    assert (recording.state, recording.failure_reason, events) == (
        "ready",
        "the storage did not answer",
        [],
    )


def test_an_unrecorded_space_ends_when_its_files_cannot_be_deleted(
    unrecorded, host, settings, django_capture_on_commit_callbacks
):
    write_hls(unrecorded.pk)
    settings.EGRESS_STORAGE = "tests.recordings.conftest.BrokenStorage"

    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=unrecorded, actor=host)

    unrecorded.refresh_from_db()
    assert (unrecorded.state, len(stored(unrecorded.pk))) == ("ended", 5)


def test_the_host_deletes_a_recording_on_a_broken_storage(
    recording, host, settings, django_capture_on_commit_callbacks
):
    from recordings import services as recordings

    settings.EGRESS_STORAGE = "tests.recordings.conftest.BrokenStorage"

    with django_capture_on_commit_callbacks(execute=True):
        recordings.recording_delete(recording=recording, actor=host)

    recording.refresh_from_db()
    assert recording.state == "deleted"
