"""Recording pages and files: the host's delete and trim, the download, the files served
with range requests (docs/recordings.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.errors import error_message
from core.forms import add_service_errors
from core.ratelimit import hit
from mediaserver.egress.serving import ranged_response, stored_file_response, stored_file_stream
from recordings import files, selectors, services
from recordings.access import access_host_recording, access_recording
from recordings.forms import TrimForm
from recordings.models import FILE_NAME
from rooms.selectors import space_get

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
    response["Content-Type"] = files.content_type(name)
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
    if request.session.session_key is None:
        request.session.save()  # the play is noted in it anyway; its key counts the hits
    if not hit(key=f"replay-play:{request.session.session_key}", limit=30, period=60):
        return JsonResponse(
            {"detail": _("Too many replays started: wait a minute."), "code": "rate_limited"},
            status=429,
        )
    plays = services.recording_play(recording=recording, session=request.session)
    return JsonResponse({"plays": plays})
