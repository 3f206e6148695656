"""A Space's transcript: its page (who said what when, each line a link into the replay),
the host's and co-hosts' downloads, and the WebVTT tracks of the replay and of clips.

Whoever may not see the Space's replay gets what the replay would give them: a 404. A
Space where nothing was captioned says so, in words, never with an error page alone."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from captions import formats, selectors
from recordings.access import access_clip
from recordings.selectors import recording_playable
from rooms.access import shut_out
from rooms.selectors import space_get

FORMATS = {
    "txt": (formats.txt, "text/plain; charset=utf-8"),
    "vtt": (formats.vtt, "text/vtt; charset=utf-8"),
    "srt": (formats.srt, "application/x-subrip; charset=utf-8"),
}


def _refusal(reason: str, status: int) -> HttpResponse:
    """A file that cannot be given: the reason, as text (the link was a download)."""
    return HttpResponse(reason + "\n", status=status, content_type="text/plain; charset=utf-8")


def _no_transcript() -> HttpResponse:
    return _refusal(_("This Space has no transcript: nothing was captioned in it."), 404)


def _visible_space(request, code):
    """The Space if this person may see it (those it shuts out get a 404, as its replay)."""
    space = space_get(code)
    if shut_out(space.host, request.user):
        raise Http404("No such Space.")
    return space


def _playable(space, user):
    try:
        return recording_playable(space=space, user=user)
    except Http404:
        return None


def _track(lines) -> HttpResponse:
    response = HttpResponse(
        formats.vtt([line.cue for line in lines]), content_type="text/vtt; charset=utf-8"
    )
    # Access is per person (the host's blocks and bans), as for the recording's files.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


@require_safe
def transcript_page(request, code):
    """Who said what when in an ended Space, each line a link to that moment of the
    replay; the downloads for its host and co-hosts."""
    space = _visible_space(request, code)
    context = {"space": space, "ended": space.state == space.State.ENDED}
    if context["ended"]:
        recording = _playable(space, request.user)
        lines = selectors.transcript(space)
        for line in lines:
            at = max(line.offset, recording.trim_start) if recording is not None else None
            line.url = selectors.replay_link(space, at) if at is not None else ""
        context.update(
            lines=lines,
            recording=recording,
            may_download=bool(lines) and selectors.may_download(space, request.user),
        )
    return render(request, "captions/transcript.html", context)


@require_safe
def transcript_download(request, code, kind):
    """The transcript as a file (text, WebVTT or SRT), for the host and co-hosts."""
    if kind not in FORMATS:
        raise Http404("No such format.")
    space = space_get(code)
    if not selectors.may_download(space, request.user):
        return _refusal(_("Only the host and co-hosts can download the transcript."), 403)
    lines = selectors.transcript(space)
    if not lines:
        return _no_transcript()
    build, content_type = FORMATS[kind]
    response = HttpResponse(build([line.cue for line in lines]), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="transcript-{space.code}.{kind}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def replay_track(request, code):
    """The replay's captions as WebVTT, on the recording's timeline, for anyone who may
    play the replay."""
    space = space_get(code)
    recording = _playable(space, request.user)
    if recording is None:
        return _refusal(_("This Space has no replay."), 404)
    lines = selectors.transcript(space, recording)
    if not lines:
        return _no_transcript()
    return _track(lines)


@require_safe
def clip_track(request, code):
    """A clip's captions as WebVTT, from the clip's start, for anyone who may play it."""
    clip = access_clip(code=code, user=request.user)
    lines = selectors.clip_transcript(clip)
    if not lines:
        return _refusal(_("Nothing was captioned in this clip."), 404)
    return _track(lines)
