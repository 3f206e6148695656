"""A Space's transcript: its page (who said what when, each line a link into the replay),
the host's and co-hosts' downloads, and the WebVTT tracks of the replay and of clips.

Who may have what is captions.access's to say; a refusal comes with its reason, in
words, never with an error page alone."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from captions import access, formats, selectors
from core.errors import NotAllowed

FORMATS = {
    "txt": (formats.txt, "text/plain; charset=utf-8"),
    "vtt": (formats.vtt, "text/vtt; charset=utf-8"),
    "srt": (formats.srt, "application/x-subrip; charset=utf-8"),
}


def _refusal(reason: str, status: int) -> HttpResponse:
    """A file that cannot be given: the reason, as text (the link was a download)."""
    response = HttpResponse(reason + "\n", status=status, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, private=True, no_store=True)
    return response


def _nothing_captioned() -> str:
    return _("This Space has no transcript: nothing was captioned in it.")


def _anon_id(request) -> str:
    # Read only: a browser that never joined has no identity to make for a transcript.
    return "" if request.user.is_authenticated else request.session.get("anon_id", "")


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
    replay; the downloads for its host and co-hosts. A 404 that says why otherwise."""
    try:
        found = access.access_transcript(code=code, user=request.user, anon_id=_anon_id(request))
    except access.NoTranscript as exc:
        return _missing(request, code, str(exc))
    space, recording = found.space, found.recording
    lines = selectors.transcript(space, recording)
    if not lines:
        return _missing(request, code, _nothing_captioned(), space=space)
    for line in lines:
        at = max(line.offset, recording.trim_start) if recording is not None else None
        line.url = selectors.replay_link(space, at) if at is not None else ""
    context = {
        "space": space,
        "lines": lines,
        "recording": recording,
        "may_download": found.may_download,
    }
    return render(request, "captions/transcript.html", context)


def _missing(request, code, reason, space=None):
    """The transcript page saying why there is none to show (404)."""
    context = {"space": space, "code": code, "reason": reason}
    return render(request, "captions/transcript.html", context, status=404)


@require_safe
def transcript_download(request, code, kind):
    """The transcript as a file (text, WebVTT or SRT), for the host and co-hosts."""
    if kind not in FORMATS:
        raise Http404("No such format.")
    try:
        space = access.access_transcript_download(code=code, user=request.user)
    except NotAllowed as exc:
        return _refusal(exc.message, 403)
    except access.NoTranscript as exc:
        return _refusal(str(exc), 404)
    lines = selectors.transcript(space)
    if not lines:
        return _refusal(_nothing_captioned(), 404)
    build, content_type = FORMATS[kind]
    response = HttpResponse(build([line.cue for line in lines]), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="transcript-{space.code}.{kind}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def replay_track(request, code):
    """The replay's captions as WebVTT, on the recording's timeline, for anyone who may
    read the transcript and play the replay."""
    try:
        found = access.access_replay_captions(
            code=code, user=request.user, anon_id=_anon_id(request)
        )
    except access.NoTranscript as exc:
        return _refusal(str(exc), 404)
    lines = selectors.transcript(found.space, found.recording)
    if not lines:
        return _refusal(_nothing_captioned(), 404)
    return _track(lines)


@require_safe
def clip_track(request, code):
    """A clip's captions as WebVTT, from the clip's start, for anyone who may play it."""
    try:
        clip = access.access_clip_captions(code=code, user=request.user)
    except Http404:
        return _refusal(_("No such clip."), 404)
    lines = selectors.clip_transcript(clip)
    if not lines:
        return _refusal(_("Nothing was captioned in this clip."), 404)
    return _track(lines)
