"""Files from the egress's storage over HTTP (mediaserver/egress/serving.py): never a sync
iterator (Daphne would read it whole into memory first), ranges, a missing file."""

import pytest
from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile
from django.http import Http404
from django.test import RequestFactory

from mediaserver.egress import serving, storage

PATH = "hls/7/seg-000000.m4s"


def get(headers=None):
    return RequestFactory().get("/", headers=headers or {})


def collect(response) -> bytes:
    async def read():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)()


def test_a_segment_is_one_plain_body_with_its_range():
    data = bytes(range(256)) * 40
    storage().save(PATH, ContentFile(data))

    whole = serving.stored_file_response(get(), PATH)
    part = serving.stored_file_response(get({"Range": "bytes=100-199"}), PATH)

    assert (whole.streaming, whole.status_code, whole.content) == (False, 200, data)
    assert (part.streaming, part.status_code, part.content) == (False, 206, data[100:200])
    assert (part["Content-Range"], part["Content-Length"]) == (f"bytes 100-199/{len(data)}", "100")


def test_a_large_file_is_streamed_asynchronously_chunk_by_chunk(settings):
    data = bytes(range(251)) * (serving.WHOLE_MAX // 251 + 1000)
    storage().save(PATH, ContentFile(data))

    whole = serving.stored_file_response(get(), PATH)
    tail = serving.stored_file_response(get({"Range": "bytes=100-"}), PATH)
    small = serving.stored_file_response(get({"Range": "bytes=-70000"}), PATH)

    assert (whole.streaming, whole.is_async) == (True, True)
    assert collect(whole) == data
    assert whole["Content-Length"] == str(len(data))
    assert (tail.status_code, tail.is_async, collect(tail)) == (206, True, data[100:])
    assert (small.streaming, small.content) == (False, data[-70000:])


def test_a_missing_file_is_404():
    with pytest.raises(Http404):
        serving.stored_file_response(get(), "hls/7/seg-000009.m4s")
    with pytest.raises(Http404):
        serving.stored_file_response(get(), "hls/7/live.m3u8", replaced=True)


def test_a_replaced_file_that_stays_missing_is_404_after_one_retry(monkeypatch):
    tries = []
    store = type(storage())

    def missing(self, name, mode="rb"):
        tries.append(name)
        raise FileNotFoundError(name)

    monkeypatch.setattr(store, "open", missing)

    with pytest.raises(Http404):
        serving.stored_file_read("hls/7/live.m3u8")
    assert tries == ["hls/7/live.m3u8"] * 2
