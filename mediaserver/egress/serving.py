"""Files from the egress's storage as HTTP responses: one range (RFC 9110) or the whole
file, or an X-Accel-Redirect for nginx. Access is the caller's business: check it first.

Used by rooms (the live stream) and recordings (replays, clips). Under Daphne a streamed
body must be an async iterator (Django reads a sync one whole into memory): small files,
which every segment is, go out as one plain body; larger ones are read chunk by chunk in
a worker thread.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse

from mediaserver.egress import STORAGE_ERRORS, storage
from mediaserver.egress.ranges import Unsatisfiable, byte_range

CHUNK = 64 * 1024
# At most this many bytes are answered as one body read at once; more are streamed.
WHOLE_MAX = 1024 * 1024
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "audio/mp4",
    ".m4s": "audio/mp4",
}


def content_type(name: str) -> str:
    return CONTENT_TYPES[name[name.rfind(".") :]]


def stored_file_response(request, path: str, *, replaced: bool = False) -> HttpResponse:
    """A file in the egress's storage, by its path there (`hls/<space_id>/<name>`).
    `replaced`: the egress rewrites this file in place (a live playlist): it is read whole
    in one go, never sent by nginx, so that a reader never gets half of two versions."""
    store = storage()
    if replaced:
        body = stored_file_read(path)
        return ranged_response(
            request, len(body), lambda start, length: body[start : start + length]
        )
    prefix = settings.RECORDINGS_X_ACCEL_PREFIX
    if prefix:
        # nginx sends the bytes, ranges included; Django only said who may have them.
        response = HttpResponse()
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + path
        return response
    try:
        size = store.size(path)
    except STORAGE_ERRORS:
        raise Http404("No such file.") from None

    def read(start: int, length: int):
        if length <= WHOLE_MAX:
            try:
                with store.open(path, "rb") as handle:
                    handle.seek(start)
                    return handle.read(length)
            except STORAGE_ERRORS:
                raise Http404("No such file.") from None
        return stored_file_stream(path, start, length)

    return ranged_response(request, size, read)


def stored_file_read(path: str) -> bytes:
    """A whole file, read at once; tried twice, since a writer replacing it (delete, then
    save) may leave a moment with no file. 404 when it is still missing."""
    store = storage()
    for attempt in (1, 2):
        try:
            with store.open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            if attempt == 2:
                break
        except STORAGE_ERRORS:
            break
    raise Http404("No such file.")


async def stored_file_stream(path: str, start: int = 0, length: int | None = None):
    """`length` bytes from `start` (None: to the end), CHUNK by CHUNK, each read in a
    worker thread."""
    handle = await sync_to_async(storage().open, thread_sensitive=False)(path, "rb")
    try:
        await sync_to_async(handle.seek, thread_sensitive=False)(start)
        while length is None or length > 0:
            size = CHUNK if length is None else min(CHUNK, length)
            chunk = await sync_to_async(handle.read, thread_sensitive=False)(size)
            if not chunk:
                return
            if length is not None:
                length -= len(chunk)
            yield chunk
    finally:
        await sync_to_async(handle.close, thread_sensitive=False)()


def ranged_response(request, size: int, read) -> HttpResponse:
    """200 with the whole body, 206 with the range asked for, or 416 past the end.
    `read(start, length)` gives those bytes, or an async iterator of them."""
    # We send no validator (ETag, Last-Modified), so an If-Range can never match: the
    # Range is ignored and the whole file sent (RFC 9110 §13.1.5).
    header = None if "If-Range" in request.headers else request.headers.get("Range")
    try:
        asked = byte_range(header, size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = asked if asked is not None else (0, size - 1)
    length = last - first + 1 if size else 0
    body = read(first, length)
    status = 200 if asked is None else 206
    if isinstance(body, bytes | bytearray):
        response = HttpResponse(body, status=status)
        length = len(body)
    else:
        response = StreamingHttpResponse(body, status=status)
    if asked is not None:
        response["Content-Range"] = f"bytes {first}-{first + length - 1}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return response
