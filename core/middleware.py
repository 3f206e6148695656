import functools
import json
import logging
import zoneinfo

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation

from core.views import bad_request, page_not_found

logger = logging.getLogger(__name__)


class UserLanguageMiddleware:
    """Use a signed-in person's chosen language over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class HtmxMiddleware:
    """Mark htmx requests, so that one view serves the page and its partial."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.htmx = request.headers.get("HX-Request") == "true"
        request.htmx_target = request.headers.get("HX-Target", "") if request.htmx else ""
        response = self.get_response(request)
        if request.htmx:
            response.headers.setdefault("Vary", "HX-Request")
        return response


class TimeZoneMiddleware:
    """Show times in the viewer's zone: their setting, else the one their browser reports
    (static/js/core/base.js keeps it in the `tz` cookie), else the server's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        browser = request.COOKIES.get("tz", "")
        signed_in = user is not None and user.is_authenticated
        if signed_in and browser != user.browser_time_zone and _zone(browser) is not None:
            # Kept for what is written while the person is away (notifications, emails).
            get_user_model().objects.filter(pk=user.pk).update(browser_time_zone=browser)
            user.browser_time_zone = browser
        zone = _zone((user.time_zone if signed_in else "") or browser)
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        request.time_zone = zone.key if zone is not None else settings.TIME_ZONE
        return self.get_response(request)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(name: str):
    if not name or len(name) > 64 or name not in _zones():
        return None
    return zoneinfo.ZoneInfo(name)


class NotFoundPageMiddleware:
    """With DEBUG on (`make run`), a missing page is still the site's 404 page, not
    Django's debug page listing every URL pattern; an exception keeps its traceback page.

    Last in MIDDLEWARE: CommonMiddleware's APPEND_SLASH redirect and the CSP headers
    still apply to what it returns."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            # No URL matched: Django answered with its technical 404 page.
            return self._page(request, Http404())
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return self._page(request, exception)
        return None

    def _page(self, request, exception):
        return page_not_found(request, exception)


class ServiceUnavailableMiddleware:
    """Redis (cache, broker, channel layer) down for a moment, e.g. while Valkey restarts:
    a clear 503 that says to try again, not a 500 or Django's debug page. The timeouts in
    settings (REDIS_TIMEOUT) make the failure come in seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, _outages()):
            return None
        logger.warning("Answered 503: %s (%s)", type(exception).__name__, exception)
        if request.path.startswith("/api/"):
            detail = translation.gettext("Spaces is briefly unavailable: try again in a moment.")
            response = JsonResponse({"detail": detail, "code": "unavailable"}, status=503)
        else:
            response = render(request, "503.html", status=503)
        response["Retry-After"] = "5"
        return response


@functools.cache
def _outages() -> tuple[type[BaseException], ...]:
    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        kombu.exceptions.OperationalError,
    )


class BodyLimitMiddleware:
    """ASGI: refuse a request body over REQUEST_BODY_MAX_BYTES with 413 before Django reads
    it, so a 30 MB "avatar" is never spooled, parsed or handed to Pillow.

    A Content-Length past the limit is refused without reading any of the body; a body
    without one (chunked) is counted as it arrives and refused once past the limit. The
    server in front may already hold the body: Daphne (Twisted) receives the whole body
    into a temporary file before calling the application, then queues it to us. A proxy's
    own limit (nginx client_max_body_size) is what keeps it off the server entirely."""

    def __init__(self, app, max_bytes: int | None = None):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes if self.max_bytes is not None else settings.REQUEST_BODY_MAX_BYTES
        length = _content_length(scope)
        if length is not None and length > limit:
            return await _too_large(scope, send, limit)

        received = 0
        refused = False
        started = False

        async def counted_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    # Django stops reading on a disconnect and sends no response.
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, watched_send)
        if refused and not started:
            await _too_large(scope, send, limit)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope, send, limit: int) -> None:
    megabytes = limit // (1024 * 1024)
    message = translation.gettext(
        "The request is too large: at most %(megabytes)d MB is accepted."
    ) % {"megabytes": megabytes}
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": message, "code": "too_large"}).encode()
        content_type = b"application/json"
    else:
        body = message.encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class NulBytesMiddleware:
    """Refuse a NUL byte in the path or the query string with a 400: PostgreSQL cannot
    store or compare one, so a `?q=%00` or a handle with one in it was a 500 (DataError).
    Bodies are covered already: form and serializer fields refuse NUL themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return bad_request(request, None)
        return self.get_response(request)
