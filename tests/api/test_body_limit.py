"""Request bodies are capped before Django reads them (core.middleware.BodyLimitMiddleware)."""

import json

import pytest

from core.middleware import BodyLimitMiddleware

MB = 1024 * 1024


def _scope(path="/settings/profile/", length=None):
    headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": "POST", "path": path, "headers": headers}


class Reader:
    """An application that reads the whole body, as Django's ASGI handler does."""

    def __init__(self):
        self.called = False
        self.body = b""

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # Django: RequestAborted, no response
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Client:
    """Sends `chunks` of body on demand, counting what the application pulled."""

    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.pulled = 0
        self.sent = []

    async def receive(self):
        self.pulled += 1
        chunk = self.chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message):
        self.sent.append(message)

    @property
    def status(self):
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def body(self):
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


@pytest.mark.asyncio
async def test_a_30_mb_upload_is_refused_by_its_length_without_reading_it():
    app = Reader()
    client = Client([b"x" * MB] * 30)

    await BodyLimitMiddleware(app, max_bytes=6 * MB)(
        _scope(length=30 * MB), client.receive, client.send
    )

    assert (client.status, client.pulled, app.called) == (413, 0, False)
    assert client.body == b"The request is too large: at most 6 MB is accepted."


@pytest.mark.asyncio
async def test_a_streamed_body_is_cut_off_once_past_the_limit():
    app = Reader()
    client = Client([b"x" * MB] * 30)  # chunked: no Content-Length

    await BodyLimitMiddleware(app, max_bytes=6 * MB)(_scope(), client.receive, client.send)

    assert (client.status, client.pulled) == (413, 7)
    assert len(client.chunks) == 23  # never pulled from the client


@pytest.mark.asyncio
async def test_a_body_within_the_limit_reaches_the_application_whole():
    app = Reader()
    client = Client([b"a" * MB, b"b" * MB])

    await BodyLimitMiddleware(app, max_bytes=6 * MB)(
        _scope(length=2 * MB), client.receive, client.send
    )

    assert (client.status, client.body) == (200, b"ok")
    assert app.body == b"a" * MB + b"b" * MB


@pytest.mark.asyncio
async def test_the_site_refuses_an_api_body_over_the_setting_with_a_json_reason(settings):
    from spaces_site.asgi import application

    settings.REQUEST_BODY_MAX_BYTES = 6 * MB
    client = Client([b"x"])

    await application(_scope("/api/me/", length=30 * MB), client.receive, client.send)

    assert (client.status, client.pulled) == (413, 0)
    assert json.loads(client.body) == {
        "detail": "The request is too large: at most 6 MB is accepted.",
        "code": "too_large",
    }
