"""Recorded Spaces and fake HLS files: the egress writes the real ones (mediaserver/egress/),
these tests write what it would, through the same storage."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from recordings import files
from recordings.models import Recording, storage_prefix
from rooms import services
from tests.factories import UserFactory
from tests.rooms.conftest import on_stage, seat

SEGMENT_SECONDS = 2.0
# Distinct, known bytes: a range test checks exactly which ones come back.
INIT = bytes(range(40))
SEGMENT = bytes((i * 7) % 256 for i in range(100))


def write_hls(space_id: int, *, segments: int = 3, ended: bool = True) -> str:
    """Write an init segment, media segments and the playlist, as the egress does."""
    store = files.storage()
    prefix = storage_prefix(space_id)
    store.save(prefix + "init.mp4", ContentFile(INIT))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-PLAYLIST-TYPE:EVENT",
        "#EXT-X-MEDIA-SEQUENCE:0",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    for n in range(segments):
        store.save(f"{prefix}seg-{n:06d}.m4s", ContentFile(SEGMENT))
        lines += [f"#EXTINF:{SEGMENT_SECONDS:.3f},", f"seg-{n:06d}.m4s"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    store.save(prefix + "index.m3u8", ContentFile(("\n".join(lines) + "\n").encode()))
    return prefix


def stored(space_id: int) -> list[str]:
    return files.file_names(storage_prefix(space_id))


class BrokenStorage(FileSystemStorage):
    """A full, read-only disk: every write and delete fails."""

    def __init__(self, **kwargs):
        super().__init__(location=settings.EGRESS_ROOT, **kwargs)

    def _save(self, name, content):
        raise OSError(28, "No space left on device")

    def delete(self, name):
        raise OSError(30, "Read-only file system")


@pytest.fixture
def recorded(host):
    """A live recorded Space."""
    return services.space_create(host=host, title="On the record", record=True)


@pytest.fixture
def unrecorded(host):
    return services.space_create(host=host, title="Off the record")


@pytest.fixture
def ended(recorded, host, django_capture_on_commit_callbacks):
    """The recorded Space, ended with 3 segments of 2 s written: its recording is ready."""
    write_hls(recorded.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)
    return recorded


@pytest.fixture
def recording(ended) -> Recording:
    return Recording.objects.get(space=ended)


@pytest.fixture
def cohost(recorded):
    user = UserFactory(handle="cohost")
    on_stage(recorded, user, "cohost")
    return user


@pytest.fixture
def listener(recorded):
    user = UserFactory(handle="listener")
    seat(recorded, user)
    return user
