"""Stored captions in other apps' pages: the replay's captions, a clip's part of the
transcript, the directory's search of what was said. Recordings' and rooms' templates
load this library by name: a way up that is not an import (docs/architecture.md)."""

from django import template
from django.urls import reverse

from captions import formats, selectors

register = template.Library()


@register.filter
def hms(seconds) -> str:
    """Seconds as 00:01:23, as the text transcript writes them."""
    return formats.clock_time(float(seconds or 0))


@register.inclusion_tag("captions/_transcript_link.html")
def transcript_link(space):
    """A link to the ended Space's transcript, when something was captioned. One query."""
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
    request = context.get("request")
    viewer = request.user if request is not None else None
    return {"query": query, "hits": selectors.transcript_search(query=query, viewer=viewer)}
