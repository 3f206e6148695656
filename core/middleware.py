import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation


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
