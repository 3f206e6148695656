"""Clip pages: `/c/<code>/` with its player and link preview, its file and card image,
the cutter on a replay, the live clip button, and the host's and creator's actions."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.errors import error_message
from core.forms import add_service_errors
from recordings import services
from recordings.access import access_space_recording
from recordings.clip_access import access_clip
from recordings.clip_card import clip_card_png
from recordings.clip_forms import ClipForm
from recordings.models import CLIP_MAX_SECONDS, Clip
from recordings.serving import stored_file_response
from rooms.selectors import space_get
from timeline.forms import TweetForm

CARD_SECONDS = 24 * 3600  # the card changes only if the Space's title or host's name does


@require_safe
def clip_page(request, code):
    """A clip's page: its player, where it came from, who cut it, sharing, Open Graph."""
    clip = access_clip(code=code, user=request.user)
    space = clip.recording.space
    link = request.build_absolute_uri(clip.get_absolute_url())
    user = request.user
    context = {
        "clip": clip,
        "space": space,
        "link": link,
        "is_host": user.is_authenticated and user.pk == space.host_id,
        "is_creator": user.is_authenticated and user.pk == clip.creator_id,
        "tweet_form": TweetForm(initial={"text": f"{clip.title or space.title} {link}"})
        if user.is_authenticated
        else None,
    }
    return render(request, "recordings/clip.html", context)


@require_safe
def clip_audio(request, code):
    """The clip's MP4, with range requests (through nginx when configured)."""
    clip = access_clip(code=code, user=request.user)
    response = stored_file_response(request, clip.path)
    response["Content-Type"] = "audio/mp4"
    # The file never changes, but access is per person: no shared cache.
    patch_cache_control(response, private=True, max_age=24 * 3600)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_safe
def clip_card(request, code):
    """The clip's link-preview image, drawn once a day at most."""
    clip = access_clip(code=code, user=request.user)
    key = f"clip-card:{clip.code}"
    png = cache.get(key)
    if png is None:
        png = clip_card_png(clip)
        cache.set(key, png, CARD_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    # Access is per person (the host's blocks and bans), as for the clip's file.
    patch_cache_control(response, private=True, max_age=3600)
    patch_vary_headers(response, ["Cookie"])
    return response


# The cutter on a replay, and the live button -----------------------------------------------


def _replay_recording(space, user):
    try:
        return access_space_recording(space=space, user=user)
    except Http404:
        return None


def _seconds(raw) -> float:
    """A start from the query string (the replay's position), 0 if it is not one."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


@login_required
def clip_new(request, code):
    """The clip cutter: a form that works without JS (the replay's script sets the start
    from the player); a clip cut goes to its page, a refusal shows in the form."""
    space = space_get(code)
    recording = _replay_recording(space, request.user)
    if request.method == "POST":
        form = ClipForm(request.POST)
        if form.is_valid():
            try:
                clip = services.clip_create(
                    space=space,
                    actor=request.user,
                    start=form.cleaned_data["start"],
                    duration=form.cleaned_data["duration"],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, error_message(error))
            else:
                messages.success(request, _("Your clip is ready."))
                if request.htmx:
                    response = HttpResponse()
                    response["HX-Redirect"] = clip.get_absolute_url()
                    return response
                return redirect(clip)
        template = "recordings/_clip_form.html" if request.htmx else "recordings/clip_new.html"
        context = {"clip_form": form, "space": space, "recording": recording}
        return render(request, template, context, status=422)
    if recording is None:
        raise Http404("No recording.")
    start = max(recording.trim_start, _seconds(request.GET.get("start")))
    length = min(CLIP_MAX_SECONDS, max(0.0, recording.duration - start))
    form = ClipForm(initial={"start": round(start, 1), "duration": round(length, 1)})
    context = {"clip_form": form, "space": space, "recording": recording}
    return render(request, "recordings/clip_new.html", context)


@login_required
@require_POST
def clip_live(request, code):
    """Clip the last 30 seconds of a live recorded Space (without JS: its page after)."""
    space = space_get(code)
    try:
        clip = services.clip_create_live(space=space, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
        return redirect(space)
    messages.success(request, _("Your clip is ready."))
    return redirect(clip)


# The host's and the creator's actions ------------------------------------------------------


def _managed(request, code) -> Clip:
    return access_clip(code=code, user=request.user)


@login_required
@require_POST
def clip_keep(request, code):
    """Keep the clip past its recording's expiry, or not (host only)."""
    clip = _managed(request, code)
    kept = request.POST.get("kept") == "1"
    try:
        services.clip_keep(clip=clip, actor=request.user, kept=kept)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
    else:
        messages.success(
            request,
            _("The clip is kept after the recording expires.")
            if kept
            else _("The clip expires with its recording."),
        )
    return redirect(clip)


@login_required
@require_POST
def clip_delete(request, code):
    """Delete the clip (its host or its creator)."""
    clip = _managed(request, code)
    try:
        services.clip_delete(clip=clip, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
        return redirect(clip)
    messages.success(request, _("The clip was deleted."))
    return redirect(clip.recording.space)
