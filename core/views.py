from django.http import HttpResponseForbidden, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from core.health import run_checks


@never_cache
@require_GET
def healthz(request):
    """Report the database, Redis and a Celery worker: 200 when all answer, else 503."""
    checks = run_checks()
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "ok" if not down else "down", "checks": checks, "down": down}
    return JsonResponse(body, status=200 if not down else 503)


# Error pages (spaces_site/urls.py names them). The API answers in its own shape,
# {"detail", "code"}, so a program never has to read an HTML page.


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _api_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


@requires_csrf_token
def bad_request(request, exception):
    if _api(request):
        return _api_error(_("Bad request."), "bad_request", 400)
    return defaults.bad_request(request, exception)


@requires_csrf_token
def permission_denied(request, exception):
    if _api(request):
        return _api_error(_("You do not have permission to do this."), "permission_denied", 403)
    return defaults.permission_denied(request, exception)


@requires_csrf_token
def page_not_found(request, exception):
    if _api(request):
        return _api_error(_("Not found."), "not_found", 404)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    if _api(request):
        return _api_error(_("Something went wrong on our side."), "server_error", 500)
    # Django's own: templates/500.html with no context, so nothing in it can fail again.
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: say the form expired and what to do, in the site's look."""
    if _api(request):
        return _api_error(_("CSRF check failed: reload the page and try again."), "csrf", 403)
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return HttpResponseForbidden(loader.render_to_string("403_csrf.html", context, request))
