"""The recordings API: the same services and access as the pages."""

import pytest
from django.urls import reverse

from recordings.models import Recording
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(recording):
    return reverse("api-space-recording", args=[recording.space.code])


def test_anyone_reads_a_ready_recording(api, recording):
    data = api.get(url(recording)).json()

    assert (data["state"], data["duration"], data["trim_start"], data["playlist_url"]) == (
        "ready",
        6.0,
        0.0,
        f"/recordings/{recording.pk}/index.m3u8",
    )
    assert data["expires_at"] is not None


def test_the_host_trims_and_deletes(api, host, recording, django_capture_on_commit_callbacks):
    api.force_authenticate(host)

    trimmed = api.patch(url(recording), {"trim_start": 2}, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        deleted = api.delete(url(recording)).json()

    assert (trimmed["trim_start"], deleted["state"], deleted["playlist_url"]) == (
        2.0,
        "deleted",
        None,
    )


def test_a_trim_past_the_end_is_refused(api, host, recording):
    api.force_authenticate(host)

    response = api.patch(url(recording), {"trim_start": 6}, format="json")

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"trim_start": ["Choose a start between 0 and 6 seconds."]},
    )


def test_a_trim_before_the_recording_is_measured_says_so_and_changes_nothing(api, host, recording):
    Recording.objects.filter(pk=recording.pk).update(duration=0)
    api.force_authenticate(host)

    response = api.patch(url(recording), {"trim_start": 0}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "recording_measuring")
    assert Recording.objects.get(pk=recording.pk).trim_start == 0


def test_someone_else_cannot_delete(api, recording):
    api.force_authenticate(UserFactory(handle="someone"))

    response = api.delete(url(recording))

    recording.refresh_from_db()
    assert (response.status_code, response.json()["code"], recording.state) == (
        403,
        "not_host",
        "ready",
    )


def test_a_deleted_recording_is_not_found_except_by_its_host(api, host, recording):
    Recording.objects.filter(pk=recording.pk).update(state="deleted")

    assert api.get(url(recording)).status_code == 404
    api.force_authenticate(host)
    assert api.get(url(recording)).json()["state"] == "deleted"
