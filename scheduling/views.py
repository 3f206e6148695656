from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import NotAllowed, error_message
from core.forms import add_service_errors
from rooms.models import Space
from rooms.selectors import space_get
from scheduling import selectors, services
from scheduling.access import access_hosted_space
from scheduling.forms import EditForm, ScheduleForm
from scheduling.models import Promotion
from scheduling.promo import calendar_ics, card_png


def _local(form) -> object:
    return services.local_to_utc(form.cleaned_data["starts_at"], form.cleaned_data["time_zone"])


@login_required
def space_schedule(request):
    """Schedule a Space from now up to 14 days ahead."""
    initial = {
        "time_zone": request.time_zone,
        **ScheduleForm.initial_for(request.user, request.LANGUAGE_CODE),
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            space = services.space_schedule(
                host=request.user,
                title=form.cleaned_data["title"],
                topics=form.topic_list(),
                starts_at=_local(form),
                speak_policy=form.cleaned_data["speak_policy"],
                record=form.cleaned_data["record"],
                captions=form.cleaned_data["captions"],
                captions_language=form.cleaned_data["captions_language"],
                tweet_on_start=form.cleaned_data["tweet_on_start"],
                cohosts=form.cleaned_data["cohosts"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your Space is scheduled."))
            return redirect(space)
    return render(request, "scheduling/schedule.html", {"form": form})


def _hosted(request, code) -> Space:
    """The host's own Space; to anyone else its edit page does not exist (a 404)."""
    try:
        return access_hosted_space(code=code, user=request.user)
    except NotAllowed:
        raise Http404("No such Space.") from None


def _unchanged(form, initial) -> bool:
    return (
        form.cleaned_data["time_zone"] == initial["time_zone"]
        and initial["starts_at"] is not None
        and form.cleaned_data["starts_at"] == initial["starts_at"].replace(second=0, microsecond=0)
    )


@login_required
def space_edit(request, code):
    """The host changes a scheduled Space's title, topics or time."""
    space = _hosted(request, code)
    local = timezone.localtime(space.scheduled_for) if space.scheduled_for else None
    initial = {
        "title": space.title,
        "topics": ", ".join(t.name for t in space.topics.all()),
        "starts_at": local.replace(tzinfo=None) if local else None,
        "time_zone": request.time_zone,
        "cohosts": ", ".join(
            f"@{p.user.handle}"
            for p in space.participants.filter(role="cohost").select_related("user")
        ),
    }
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.space_reschedule(
                space=space,
                actor=request.user,
                title=form.cleaned_data["title"],
                topics=form.topic_list(),
                # Unchanged to the minute (the form has no seconds): the time stays as is.
                starts_at=None if _unchanged(form, initial) else _local(form),
                cohosts=form.cleaned_data["cohosts"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, error_message(error))
        else:
            messages.success(request, _("Your Space is updated."))
            return redirect(space)
    return render(request, "scheduling/edit.html", {"form": form, "space": space})


@login_required
@require_POST
def space_cancel(request, code):
    """The host calls off a scheduled Space."""
    space = _hosted(request, code)
    try:
        services.space_cancel(space=space, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, _("The Space is cancelled; people with a reminder are told."))
    return redirect(space)


@login_required
@require_POST
def reminder_toggle(request, code):
    """Set or remove one's reminder; htmx gets the button back."""
    space = space_get(code)
    try:
        if request.POST.get("remind") == "off":
            services.reminder_remove(space=space, user=request.user)
        else:
            services.reminder_set(space=space, user=request.user)
    except ValidationError as error:
        if request.htmx:
            return render(
                request,
                "scheduling/_reminder.html",
                {"space": space, "reminded": False, "error": error_message(error)},
                status=400,
            )
        messages.error(request, error_message(error))
        return redirect(space)
    if request.htmx:
        reminded = space.pk in selectors.reminded_space_ids(request.user, [space])
        return render(request, "scheduling/_reminder.html", {"space": space, "reminded": reminded})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = space.get_absolute_url()
    return redirect(target)


@require_GET
def promo_card(request, code):
    """The Space's promo card (the link preview image); `?download` saves it.

    A GET never writes: the card is stored by the task that runs on scheduling and on
    every edit. Until it has (or if its file is gone), one is drawn for this answer only,
    so that crawlers arriving together all get the image and race for nothing."""
    space = space_get(code)
    promotion = Promotion.objects.filter(space=space).first()
    response = None
    if promotion is not None and promotion.card:
        try:
            response = FileResponse(promotion.card.open("rb"), content_type="image/png")
        except FileNotFoundError:
            response = None
    if response is None:
        if space.state != Space.State.SCHEDULED:
            raise Http404("This Space has no promo card.")
        response = HttpResponse(card_png(space), content_type="image/png")
        response["Cache-Control"] = "no-cache"  # the stored one will follow
    if "download" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="space-{space.code}.png"'
    return response


@require_GET
def calendar_file(request, code):
    """The Space as an iCalendar event, to add to one's calendar."""
    space = space_get(code)
    if space.scheduled_for is None:
        raise Http404("This Space has no start time.")
    response = HttpResponse(
        calendar_ics(space, link=request.build_absolute_uri(space.get_absolute_url())),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="space-{space.code}.ics"'
    return response
