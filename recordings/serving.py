"""Files from the egress's storage as HTTP responses: one range (RFC 9110) or the whole
file, or an X-Accel-Redirect for nginx. Access is the caller's business: check it first."""

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse

from recordings import files
from recordings.ranges import Unsatisfiable, byte_range

CHUNK = 64 * 1024


def stored_file_response(request, path: str) -> HttpResponse:
    """A file in the egress's storage, by its path there (`hls/<space_id>/<name>`)."""
    store = files.storage()
    prefix = settings.RECORDINGS_X_ACCEL_PREFIX
    if prefix:
        # nginx sends the bytes, ranges included; Django only said who may have them.
        response = HttpResponse()
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + path
        return response
    try:
        size = store.size(path)
    except (FileNotFoundError, OSError):
        raise Http404("No such file.") from None

    def read(start: int, length: int):
        with store.open(path, "rb") as handle:
            handle.seek(start)
            while length > 0:
                chunk = handle.read(min(CHUNK, length))
                if not chunk:
                    return
                length -= len(chunk)
                yield chunk

    return ranged_response(request, size, read)


def ranged_response(request, size: int, read) -> HttpResponse:
    """200 with the whole body, 206 with the range asked for, or 416 past the end."""
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
    if asked is None:
        response = StreamingHttpResponse(read(0, size))
        length = size
    else:
        first, last = asked
        length = last - first + 1
        response = StreamingHttpResponse(read(first, length), status=206)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return response
