"""Recording and clip pages and files: the host's delete and trim, the download, the files
served with range requests (docs/recordings.md); a clip's page `/c/<code>/` with its player
and link preview, its file and card image, the cutter on a replay, the live clip button,
and the host's and creator's actions on a clip."""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.errors import error_message
from core.forms import add_service_errors
from core.ratelimit import RateLimited
from mediaserver.egress.serving import (
    content_type,
    ranged_response,
    stored_file_response,
    stored_file_stream,
)
from recordings import files, selectors, services
from recordings.access import (
    access_clip,
    access_host_recording,
    access_managed_clip,
    access_recording,
    access_space_recording,
)
from recordings.clip_card import clip_card_png
from recordings.forms import ClipForm, TrimForm
from recordings.models import CLIP_MAX_SECONDS, FILE_NAME
from rooms.selectors import space_get
from timeline.forms import TweetForm

# Segments never change once written; the playlist changes when the host trims.
SEGMENT_CACHE = {"private": True, "max_age": 24 * 3600}
PLAYLIST_CACHE = {"private": True, "no_cache": True}


# Files -------------------------------------------------------------------------------------


@require_safe
def recording_file(request, recording_id, name):
    """One file of a playable recording (playlist, init segment, media segment), with
    HTTP range requests; through nginx (X-Accel-Redirect) when configured."""
    if not FILE_NAME.fullmatch(name):
        raise Http404("No such file.")
    recording = access_recording(recording_id=recording_id, user=request.user)
    if name == files.PLAYLIST:
        # Served by Django: it is small, and the trim rewrites it.
        playlist = files.playlist_read(recording.prefix)
        if playlist is None:
            raise Http404("No playlist.")
        body = playlist.trimmed(recording.trim_start).encode()
        response = ranged_response(
            request, len(body), lambda start, length: body[start : start + length]
        )
        patch_cache_control(response, **PLAYLIST_CACHE)
    else:
        if recording.trim_start and name in _trimmed_away(recording):
            raise Http404("No such file.")  # the host cut the start: it is not served
        response = stored_file_response(request, recording.prefix + name)
        patch_cache_control(response, **SEGMENT_CACHE)
    response["Content-Type"] = content_type(name)
    patch_vary_headers(response, ["Cookie"])
    return response


def _trimmed_away(recording) -> set[str]:
    playlist = files.playlist_read(recording.prefix)
    if playlist is None:
        return set()
    return {s.uri for s in playlist.segments[: playlist.skipped(recording.trim_start)]}


@login_required
@require_safe
def recording_download(request, code):
    """The whole recording as one audio file (the init segment, then the media segments
    after the trim: a fragmented MP4), for its host."""
    space = space_get(code)
    try:
        recording = access_host_recording(space=space, user=request.user)
    except PermissionDenied:
        raise Http404("No recording.") from None
    if not recording.playable:
        raise Http404("No recording.")
    playlist = files.playlist_read(recording.prefix)
    if playlist is None:
        raise Http404("No recording.")
    kept = playlist.segments[playlist.skipped(recording.trim_start) :]
    names = [files.INIT] + [segment.uri for segment in kept]
    paths = [recording.prefix + name for name in names if FILE_NAME.fullmatch(name)]

    async def chunks():
        # Async: under Daphne a sync iterator would be read whole into memory first. (An
        # X-Accel-Redirect names one file; the download is many, so Django streams it.)
        for path in paths:
            async for chunk in stored_file_stream(path):
                yield chunk

    response = StreamingHttpResponse(chunks(), content_type="audio/mp4")
    filename = f"{slugify(space.title) or space.code}.mp4"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


# The host's actions ------------------------------------------------------------------------


def _panel(request, space, *, form=None, notice=""):
    """The recording's panel alone, for htmx: the outcome shows in it, not as a message."""
    context = selectors.recording_panel(space=space, user=request.user) or {}
    if form is None and "recording" in context:
        form = TrimForm(initial={"trim_start": int(context["recording"].trim_start)})
    context.update(trim_form=form, notice=notice)
    status = 422 if form is not None and form.errors else 200
    return render(request, "recordings/_panel.html", context, status=status)


@login_required
@require_POST
def recording_delete(request, code):
    """Delete the recording now (host only): its files go, the page says so."""
    space = space_get(code)
    recording = access_host_recording(space=space, user=request.user)
    try:
        services.recording_delete(recording=recording, actor=request.user)
    except ValidationError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, _("The recording was deleted."))
    return redirect(space)


@login_required
@require_POST
def recording_trim(request, code):
    """Edit the start time (host only): the replay starts that many seconds in."""
    space = space_get(code)
    recording = access_host_recording(space=space, user=request.user)
    form = TrimForm(request.POST)
    if form.is_valid():
        try:
            services.recording_trim(
                recording=recording, actor=request.user, start=form.cleaned_data["trim_start"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
    done = form.is_valid()  # False once a service error was added
    notice = _("The replay now starts at the new time.") if done else ""
    if request.htmx:
        return _panel(request, space, form=None if done else form, notice=notice)
    if done:
        messages.success(request, notice)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(space)


# Replay ------------------------------------------------------------------------------------


@require_POST
def recording_play(request, code):
    """Playback of a replay started (its page says so once per view): counted once per
    session and hour, for anyone who may play it."""
    space = space_get(code)
    recording = selectors.recording_playable(space=space, user=request.user)
    try:
        plays = services.recording_play(
            recording=recording,
            session=request.session,
            client_ip=request.META.get("REMOTE_ADDR", ""),
        )
    except RateLimited as error:
        return JsonResponse({"detail": error_message(error), "code": "rate_limited"}, status=429)
    return JsonResponse({"plays": plays})


# Clips -------------------------------------------------------------------------------------

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
        "creator_hidden": selectors.clip_creator_hidden(clip, user),
        "retention_days": settings.RECORDING_RETENTION_DAYS,  # a live clip's recording
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


@login_required
@require_POST
def clip_keep(request, code):
    """Keep the clip past its recording's expiry, or not (host only)."""
    clip = access_managed_clip(code=code, user=request.user)
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
    clip = access_managed_clip(code=code, user=request.user)
    try:
        services.clip_delete(clip=clip, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_message(error))
        return redirect(clip)
    messages.success(request, _("The clip was deleted."))
    return redirect(clip.recording.space)
