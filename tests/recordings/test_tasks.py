"""Retention: the hourly beat task deletes recordings past their expiry, files and state,
and nothing before; twice is the same as once."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils.module_loading import import_string

from recordings import services
from recordings.models import Recording
from recordings.tasks import expire_recordings
from rooms import services as rooms
from spaces_site.celery import app as celery_app
from tests.factories import UserFactory
from tests.recordings.conftest import stored, write_hls

pytestmark = pytest.mark.django_db


def test_it_keeps_a_recording_until_it_expires(recording):
    with time_machine.travel(recording.expires_at - timedelta(minutes=1), tick=False):
        expire_recordings.delay()

    recording.refresh_from_db()
    assert (recording.state, len(stored(recording.space_id))) == ("ready", 5)


def test_it_deletes_files_and_state_once_expired(recording):
    with time_machine.travel(recording.expires_at, tick=False):
        assert expire_recordings.delay().get() == 1
        assert expire_recordings.delay().get() == 0  # safe to run twice

    recording.refresh_from_db()
    assert (recording.state, recording.deleted_at, stored(recording.space_id)) == (
        "deleted",
        recording.expires_at,
        [],
    )


def test_it_expires_in_batches(django_capture_on_commit_callbacks):
    recordings = []
    for n in range(5):
        host = UserFactory(handle=f"host{n}")
        space = rooms.space_create(host=host, title=f"Show {n}", record=True)
        write_hls(space.pk, segments=1)
        with django_capture_on_commit_callbacks(execute=True):
            rooms.space_end(space=space, actor=host)
        recordings.append(Recording.objects.get(space=space))
    latest = max(r.expires_at for r in recordings)

    with time_machine.travel(latest + timedelta(seconds=1), tick=False):
        assert services.recordings_expire(batch=2) == 5

    assert set(Recording.objects.values_list("state", flat=True)) == {"deleted"}
    assert [stored(r.space_id) for r in recordings] == [[]] * 5


def test_a_storage_error_leaves_the_recording_to_the_next_run(recording, settings):
    settings.EGRESS_STORAGE = "tests.recordings.conftest.BrokenStorage"

    with time_machine.travel(recording.expires_at, tick=False):
        assert services.recordings_expire() == 0

    recording.refresh_from_db()
    assert recording.state == "ready"


def test_beat_runs_it_hourly():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "recordings.tasks.expire_recordings"
    ]

    assert [entry["schedule"] for entry in entries] == [3600.0]


# The tasks that recordings' services queue by name (core.tasks.enqueue_on_commit).
@pytest.mark.parametrize(
    "path",
    [
        "recordings.tasks.measure_recording",
        "recordings.tasks.delete_recording_files",
        "recordings.tasks.delete_space_files",
        "recordings.tasks.expire_recordings",
    ],
)
def test_each_task_named_by_a_service_is_a_registered_task(path):
    task = import_string(path)

    assert (task.name, path in celery_app.tasks) == (path, True)
