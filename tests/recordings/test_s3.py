"""The egress and the recordings on S3-compatible object storage (django-storages against
a moto server on loopback): the same code paths as on local files, bytes checked in the
bucket itself."""

import asyncio
import socket
from datetime import timedelta

import boto3
import pytest
import time_machine
from botocore.config import Config
from django.core.exceptions import ValidationError
from django.urls import reverse
from moto.server import ThreadedMotoServer

from mediaserver.egress import fmp4, storage
from mediaserver.egress.hls import HlsEgress
from recordings import services
from recordings.models import Clip, Recording
from recordings.tasks import expire_recordings
from rooms import services as rooms
from tests.factories import UserFactory
from tests.mediaserver.hls import decode, opus_packets, parse_m3u8, peak_frequency, until
from tests.recordings.clipkit import tone_after, write_recording

BUCKET = "spaces-egress"
KEYS = {"access_key": "testing", "secret_key": "testing"}
TONE = 660.0
SPACE = 4242


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    """A moto S3 server on loopback, with one bucket."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    _client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )


@pytest.fixture
def bucket(moto_endpoint, settings, monkeypatch):
    """The egress's storage is the bucket (settings changed: Django drops the cached
    storage instances); the bucket is emptied after each test."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings.STORAGES = {
        **settings.STORAGES,
        "egress": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_endpoint,
                "region_name": "us-east-1",
                "file_overwrite": True,  # playlists are rewritten in place
                **KEYS,
            },
        },
    }
    settings.EGRESS_STORAGE = "egress"
    client = _client(moto_endpoint)
    assert type(storage()).__name__ == "S3Storage"
    yield client
    for key in _keys(client):
        client.delete_object(Bucket=BUCKET, Key=key)


def _keys(client, prefix: str = "") -> list[str]:
    answer = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def _object(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


# The egress -------------------------------------------------------------------------------


async def _run_egress(packets) -> HlsEgress:
    egress = HlsEgress(SPACE, segment_seconds=2)
    egress.start()
    for payload, timestamp in packets:
        egress.feed(payload, timestamp)
    await egress.close(ended=False)
    return egress


def test_the_egress_writes_hls_into_the_bucket(bucket, monkeypatch):
    deleted = []
    store = storage()
    monkeypatch.setattr(store, "delete", deleted.append)

    egress = asyncio.run(_run_egress(opus_packets(TONE, 7.0)))

    prefix = f"hls/{SPACE}/"
    assert (egress.stats.written, egress.stats.failed) == (4, 0)
    # A PUT replaces an object whole: a playlist is never deleted first, which would
    # leave a moment when players get a 404.
    assert deleted == []
    assert _keys(bucket, prefix) == [
        prefix + name
        for name in (
            "index.m3u8",
            "init.mp4",
            "live.m3u8",
            *(f"seg-{n:06d}.m4s" for n in range(4)),
        )
    ]
    index = parse_m3u8(_object(bucket, prefix + "index.m3u8").decode())
    live = parse_m3u8(_object(bucket, prefix + "live.m3u8").decode())
    assert [uri for _d, uri, _x in index.segments] == [f"seg-{n:06d}.m4s" for n in range(4)]
    assert abs(index.duration - 7.0) < 1e-6
    assert (index.ended, live.segments) == (False, index.segments)
    one = decode(_object(bucket, prefix + "init.mp4") + _object(bucket, prefix + "seg-000001.m4s"))
    assert abs(peak_frequency(one.samples) - TONE) <= 10
    assert abs(len(one.samples) - 96000) <= 960


def test_a_restarted_egress_resumes_numbering_from_the_bucket(bucket):
    first = opus_packets(TONE, 4.0)
    asyncio.run(_run_egress(first))

    async def again():
        egress = HlsEgress(SPACE, segment_seconds=2)
        egress.start()
        for payload, timestamp in opus_packets(TONE, 4.0, start_ts=10**6):
            egress.feed(payload, timestamp)
        await until(lambda: egress.stats.written == 2)
        await egress.close()
        return egress

    egress = asyncio.run(again())

    prefix = f"hls/{SPACE}/"
    index = parse_m3u8(_object(bucket, prefix + "index.m3u8").decode())
    assert egress.next_number == 4
    assert [(uri, disc) for _d, uri, disc in index.segments] == [
        ("seg-000000.m4s", False),
        ("seg-000001.m4s", False),
        ("seg-000002.m4s", True),
        ("seg-000003.m4s", False),
    ]
    assert index.ended
    # The resumed segment's decode time carries on after the first 4 s.
    third = _object(bucket, prefix + "seg-000002.m4s")
    assert fmp4.fragment_samples(third)[0] == 4 * 48000
    everything = decode(
        _object(bucket, prefix + "init.mp4")
        + b"".join(_object(bucket, prefix + uri) for _d, uri, _x in index.segments)
    )
    assert abs(peak_frequency(everything.samples) - TONE) <= 10


# Recordings -------------------------------------------------------------------------------


@pytest.fixture
def on_s3(bucket, host, django_capture_on_commit_callbacks):
    """A recorded Space that ended after 10 s of real audio in the bucket: ready and
    measured."""
    space = rooms.space_create(host=host, title="In the bucket", record=True)
    write_recording(space.pk, tone_after(10.0, 2.0))
    with django_capture_on_commit_callbacks(execute=True):
        rooms.space_end(space=space, actor=host)
    return Recording.objects.get(space=space)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_a_recording_on_s3_is_measured_and_served_with_ranges(bucket, on_s3, client):
    keys = _keys(bucket, on_s3.prefix)
    sizes = {
        item["Key"]: item["Size"]
        for item in bucket.list_objects_v2(Bucket=BUCKET, Prefix=on_s3.prefix)["Contents"]
    }
    assert (on_s3.state, on_s3.duration, on_s3.size) == ("ready", 10.0, sum(sizes.values()))
    assert len(keys) == 7  # init, 5 segments, index

    segment = _object(bucket, on_s3.prefix + "seg-000002.m4s")
    url = reverse("recordings:file", args=[on_s3.pk, "seg-000002.m4s"])
    part = client.get(url, headers={"Range": "bytes=10-49"})
    whole = client.get(url)
    missing = client.get(reverse("recordings:file", args=[on_s3.pk, "seg-000099.m4s"]))

    assert (part.status_code, part["Content-Range"], _body(part)) == (
        206,
        f"bytes 10-49/{len(segment)}",
        segment[10:50],
    )
    assert (whole.status_code, _body(whole)) == (200, segment)
    assert missing.status_code == 404


@pytest.mark.django_db
def test_a_clip_on_s3_is_cut_served_and_expires_with_its_recording(bucket, on_s3, client):
    clipper = UserFactory(handle="clipper")

    clip = services.clip_create(recording=on_s3, actor=clipper, start=1.0, duration=4.0)

    data = _object(bucket, clip.path)
    assert (clip.size, len(data)) == (len(data), clip.size)
    played = decode(data).samples
    assert abs(peak_frequency(played[48000:]) - 440.0) <= 10  # the tone from 2 s
    part = client.get(f"/c/{clip.code}/clip.mp4", headers={"Range": "bytes=4-11"})
    assert (part.status_code, _body(part)) == (206, data[4:12])

    with time_machine.travel(on_s3.expires_at + timedelta(seconds=1), tick=False):
        assert expire_recordings.delay().get() == 1

    on_s3.refresh_from_db()
    clip.refresh_from_db()
    assert (on_s3.state, clip.state, _keys(bucket)) == ("deleted", "deleted", [])


@pytest.mark.django_db
def test_the_host_deletes_a_recording_on_s3(
    bucket, on_s3, client, host, django_capture_on_commit_callbacks
):
    client.force_login(host)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("recordings:delete", args=[on_s3.space.code]))

    on_s3.refresh_from_db()
    assert (on_s3.state, _keys(bucket)) == ("deleted", [])


@pytest.fixture
def unreachable(on_s3, settings):
    """The bucket's endpoint stops answering (nothing listens there)."""
    egress = settings.STORAGES["egress"]
    options = {
        **egress["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{_free_port()}",
        "client_config": Config(retries={"max_attempts": 1}, connect_timeout=1),
    }
    settings.STORAGES = {**settings.STORAGES, "egress": {**egress, "OPTIONS": options}}
    return on_s3


@pytest.mark.django_db
def test_an_unreachable_bucket_is_a_clear_answer_never_a_500(bucket, unreachable, client):
    url = reverse("recordings:file", args=[unreachable.pk, "seg-000002.m4s"])
    response = client.get(url, headers={"Range": "bytes=10-49"})
    assert response.status_code == 404

    # A clear refusal, nothing saved. (It says "Nothing was recorded there": playlist_read
    # takes an unreadable playlist for none, on local files as well.)
    with pytest.raises(ValidationError):
        services.clip_create(
            recording=unreachable, actor=UserFactory(handle="clipper"), start=1.0, duration=4.0
        )
    assert not Clip.objects.exists()

    with time_machine.travel(unreachable.expires_at + timedelta(seconds=1), tick=False):
        assert expire_recordings.delay().get() == 0  # left to the next run
    unreachable.refresh_from_db()
    assert unreachable.state == "ready"
    assert len(_keys(bucket, unreachable.prefix)) == 7
