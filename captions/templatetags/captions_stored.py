"""Stored captions in other apps' pages: the replay's captions, a clip's part of the
transcript, the directory's search of what was said. Recordings' and rooms' templates
load this library by name: a way up that is not an import (docs/architecture.md)."""

from django import template
from django.urls import reverse

from captions import access, formats, selectors

register = template.Library()


@register.filter
def hms(seconds) -> str:
    """Seconds as 00:01:23, as the text transcript writes them."""
    return formats.clock_time(float(seconds or 0))


def _viewer(context):
    """The person and (read only, never made here) anonymous browser of the page."""
    request = context.get("request")
    if request is None:
        return None, ""
    user = request.user
    anon_id = "" if user.is_authenticated else request.session.get("anon_id", "")
    return user, anon_id


@register.inclusion_tag("captions/_transcript_link.html", takes_context=True)
def transcript_link(context, space):
    """A link to the ended Space's transcript, when something was captioned and this
    person may read it (captions.access)."""
    user, anon_id = _viewer(context)
    try:
        access.access_space_transcript(space=space, user=user, anon_id=anon_id)
    except access.NoTranscript:
        return {"space": space, "shown": False}
    return {"space": space, "shown": selectors.has_transcript(space)}


@register.inclusion_tag("captions/_replay_captions.html")
def replay_captions(space, recording):
    """The replay's captions (replay.js shows the one at the playhead) and a link to the
    transcript; only the empty place when nothing was captioned. One query."""
    lines = selectors.transcript(space, recording)
    cues = [
        {"start": line.offset, "end": line.end, "speaker": line.speaker, "text": line.text}
        for line in lines
    ]
    return {
        "space": space,
        "cues": cues,
        "track_url": reverse("captions:replay-track", args=[space.code]) if cues else "",
    }


@register.simple_tag
def clip_lines(clip):
    """The part of the transcript heard in a clip (its page shows them, and offers its
    WebVTT track when there are some). One query."""
    return selectors.clip_transcript(clip)


@register.inclusion_tag("captions/_search_hits.html", takes_context=True)
def transcript_hits(context, query):
    """Ended Spaces where the words searched were said; nothing for an empty search."""
    viewer, anon_id = _viewer(context)
    hits = selectors.transcript_search(query=query, viewer=viewer, anon_id=anon_id)
    return {"query": query, "hits": hits}
