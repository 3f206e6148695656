from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import row_id
from notifications import selectors, services
from notifications.forms import NotificationSettingsForm
from notifications.models import NotificationSettings


@login_required
@require_GET
def notifications(request):
    """Everything a person was notified of, newest first; new ones arrive live."""
    items = selectors.notifications(request.user, before=row_id(request.GET.get("before")))
    return render(
        request,
        "notifications/notifications.html",
        {"notifications": items, "more": items[-1].pk if len(items) == 30 else None},
    )


@login_required
def notification_settings(request):
    """Choose the channels notifications come through."""
    current = NotificationSettings.objects.filter(user=request.user).first()
    initial = (
        {"in_app": current.in_app, "email": current.email, "push": current.push}
        if current
        else {"in_app": True, "email": True, "push": True}
    )
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.notification_settings_set(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "vapid_public_key": settings.VAPID_PUBLIC_KEY},
    )


@require_GET
def service_worker(request):
    """The service worker that shows push notifications, served from the site's root so
    that its scope is the whole site."""
    script = (settings.BASE_DIR / "static" / "js" / "sw.js").read_text()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification (`id`) or all of them as read."""
    raw = request.POST.get("id")
    if raw is not None and row_id(raw) is None:
        messages.error(request, _("There is no such notification."))
        return redirect("notifications:list")
    services.notifications_mark_read(user=request.user, notification_id=row_id(raw))
    return redirect("notifications:list")
