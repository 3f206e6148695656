"""Reads of stored captions: a Space's transcript on its recording's timeline, a clip's
part of it, and the directory's search of what was said in ended Spaces.

Offsets are seconds on the recording's own timeline (0 = its first sample, whatever the
trim), read from the same clock as the replay's turns and reactions
(recordings.offsets.Clock over the playlist's PROGRAM-DATE-TIME), so that a caption shows
when its words are heard. A Space with no recording counts from when it started.

Who may read what is captions.access's to say; these only read."""

import math
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from captions.access import readable_spaces
from captions.formats import Cue
from captions.models import CaptionSegment
from recordings import files
from recordings.models import Clip, Recording
from recordings.offsets import Clock
from rooms.models import Space

SEARCH_LIMIT = 20
SNIPPET_CHARS = 160
SEARCH_CONFIG = "simple"  # words as said, any language: no stemming to guess
CLOCK_CACHE_SECONDS = 7 * 24 * 3600


@dataclass
class Line:
    """One phrase of a transcript, placed on a timeline."""

    id: int
    speaker: str  # the name they had on stage
    handle: str  # "" once the account is gone
    text: str
    started_at: datetime
    offset: float  # seconds on the timeline
    end: float

    @property
    def cue(self) -> Cue:
        return Cue(self.offset, self.end, self.speaker, self.text)


def _recording_of(space_id: int) -> Recording | None:
    recordings = Recording.objects.filter(space_id=space_id)
    return recordings.exclude(state=Recording.State.DELETED).first()


def _clock(recording: Recording | None, space: Space) -> Clock:
    """The replay's clock (recordings.selectors.replay_data reads the same one)."""
    if recording is None:
        return Clock.of(None, space.started_at or space.created_at)
    key = _clock_key(recording)
    clock = cache.get(key) if key else None
    if clock is None:
        clock = _clock_read(recording, key)
    return clock


def _clock_key(recording: Recording) -> str:
    """Where a recording's clock is cached, or "" when it may still change. A ready,
    ended and measured recording's playlist is final (the egress wrote its ENDLIST): its
    clock is cached under a key made of what would change if it were measured again, so
    that the search, run on every keystroke, reads no playlist from storage (two calls,
    on S3 in production). Offsets are not stored in the segments: they would need
    computing again whenever a recording is measured again."""
    if recording.state != Recording.State.READY or not recording.ended_at:
        return ""
    if not recording.duration:
        return ""
    ended = recording.ended_at.timestamp()
    return f"captions:clock:{recording.pk}:{ended}:{recording.duration}"


def _clock_read(recording: Recording, key: str) -> Clock:
    playlist = files.playlist_read(recording.prefix)
    clock = Clock.of(playlist, recording.started_at)
    if key and playlist is not None:  # a storage error is not cached: next time reads again
        cache.set(key, clock, CLOCK_CACHE_SECONDS)
    return clock


def _lines(segments, clock: Clock) -> list[Line]:
    lines = []
    for segment in segments:
        offset = clock.offset(segment.started_at)
        lines.append(
            Line(
                id=segment.pk,
                speaker=segment.speaker_name,
                handle=segment.speaker.handle if segment.speaker is not None else "",
                text=segment.text,
                started_at=segment.started_at,
                offset=offset,
                end=max(offset, clock.offset(segment.ended_at)),
            )
        )
    return lines


def has_transcript(space: Space) -> bool:
    """Whether anything was captioned in this Space (one query)."""
    return CaptionSegment.objects.filter(space=space).exists()


def transcript(space: Space, recording: Recording | None = None) -> list[Line]:
    """The Space's phrases in the order they were said, at their offsets on its
    recording's timeline: two queries (one when the recording is given)."""
    if recording is None:
        recording = _recording_of(space.pk)
    segments = CaptionSegment.objects.filter(space=space).select_related("speaker")
    return _lines(segments.order_by("started_at", "pk"), _clock(recording, space))


def clip_transcript(clip: Clip) -> list[Line]:
    """The phrases heard in a clip (overlapping its span on the recording's timeline),
    with times from the clip's start, cut to its length: one query."""
    recording = clip.recording
    lines = transcript(recording.space, recording)
    start, stop = clip.start, clip.start + clip.duration
    part = []
    for line in lines:
        if line.end <= start or line.offset >= stop:
            continue
        line.offset = round(max(0.0, line.offset - start), 3)
        line.end = round(min(clip.duration, line.end - start), 3)
        part.append(line)
    return part


def replay_link(space: Space, offset: float) -> str:
    """The Space's page, its replay playing from `offset` (replay.js reads ?t=), in
    tenths of a second, never more than a millisecond before it (the playlist's dates
    have milliseconds: replay.js shows a caption from 10 ms before its start)."""
    tenths = math.ceil(round(offset, 3) * 10 - 0.01) / 10
    return f"{space.get_absolute_url()}?t={tenths:g}#replay"


# Search ------------------------------------------------------------------------------------


@dataclass
class Hit:
    """A phrase of an ended Space that matches a search, and where to hear it."""

    space: Space
    line: Line
    snippet: SafeString  # escaped, the matching words in <mark>
    url: str


TERM = re.compile(r"\w+", re.UNICODE)


def _terms(query: str) -> tuple[list[str], list[str]]:
    """The words to find and the words to leave out ("-word", as websearch reads it)."""
    wanted, unwanted = [], []
    for token in query.split():
        if token.lower() == "or":  # websearch's operator, not a word to find
            continue
        words = TERM.findall(token)
        (unwanted if token.startswith("-") else wanted).extend(words)
    return wanted[:8], unwanted[:8]


def highlight(text: str, terms: list[str], *, whole_words: bool) -> SafeString:
    """The text escaped, each occurrence of a term in <mark>, cut to a window around the
    first one when the phrase is long."""
    if not terms:
        return escape(text)
    words = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:{words})\b" if whole_words else f"(?:{words})", re.IGNORECASE)
    first = pattern.search(text)
    prefix = suffix = ""
    if len(text) > SNIPPET_CHARS:
        begin = max(0, (first.start() if first else 0) - SNIPPET_CHARS // 3)
        if begin:
            space = text.find(" ", begin)
            begin = space + 1 if 0 <= space < begin + 20 else begin
            prefix = "…"
        finish = begin + SNIPPET_CHARS
        if finish < len(text):
            suffix = "…"
        text = text[begin:finish]
    pieces, at = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[at : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        at = match.end()
    pieces.append(escape(text[at:]))
    return mark_safe(prefix + "".join(pieces) + suffix)  # every piece is escaped


def _matching(query: str, wanted: list[str], unwanted: list[str]):
    segments = CaptionSegment.objects.all()
    if connection.vendor == "postgresql":
        # Postgres-only imports: the module loads on SQLite too.
        from django.contrib.postgres.search import (  # noqa: PLC0415
            SearchQuery,
            SearchRank,
            SearchVector,
        )

        # The same expression as the GIN index (captions/migrations/0002): it is used.
        vector = SearchVector("text", config=SEARCH_CONFIG)
        found = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        return (
            segments.annotate(search=vector)
            .filter(search=found)
            .annotate(rank=SearchRank(vector, found))
            .order_by("-rank", "-started_at", "pk")
        )
    for term in wanted:
        segments = segments.filter(text__icontains=term)
    for term in unwanted:
        segments = segments.exclude(text__icontains=term)
    return segments.order_by("-started_at", "pk")


def transcript_search(
    *, query: str, viewer, anon_id: str = "", limit: int = SEARCH_LIMIT
) -> list[Hit]:
    """Phrases said in ended Spaces that match the words searched (PostgreSQL full-text
    search; words contained, on SQLite), best first, in the Spaces whose transcript the
    viewer may read (captions.access.readable_spaces); each links to its moment in the
    replay (or the transcript when there is no replay to play). One query, none for a
    search without a word to find ("-word" alone, punctuation); the replay's clocks come
    from the cache once read."""
    query = query.strip()[:100]
    wanted, unwanted = _terms(query)
    if not wanted:
        return []
    segments = (
        _matching(query, wanted, unwanted)
        .filter(space__in=Space.objects.filter(readable_spaces(viewer, anon_id)).values("pk"))
        .select_related("space__host", "space__recording", "speaker")
        .defer("space__recording__waveform")
    )
    segments = list(segments[:limit])
    if not segments:
        return []
    clocks = _search_clocks(segments)
    whole_words = connection.vendor == "postgresql"
    hits = []
    for segment in segments:
        space = segment.space
        recording = _recording(space)
        [line] = _lines([segment], clocks[space.pk])
        if recording is not None and recording.playable:
            url = replay_link(space, max(line.offset, recording.trim_start))
        else:
            url = f"{reverse('captions:transcript', args=[space.code])}#line-{segment.pk}"
        hits.append(Hit(space, line, highlight(segment.text, wanted, whole_words=whole_words), url))
    return hits


def _recording(space: Space) -> Recording | None:
    """The Space's recording still kept (select_related), if any."""
    try:
        recording = space.recording
    except Recording.DoesNotExist:
        return None
    return None if recording.state == Recording.State.DELETED else recording


def _search_clocks(segments) -> dict[int, Clock]:
    """The clock of each Space in the hits: one cache round trip, storage only for a
    recording not cached yet (or not final)."""
    spaces = {segment.space_id: segment.space for segment in segments}
    keys = {}
    for space in spaces.values():
        recording = _recording(space)
        if recording is not None:
            keys[space.pk] = _clock_key(recording)
    cached = cache.get_many([key for key in keys.values() if key])
    clocks = {}
    for space_id, space in spaces.items():
        recording = _recording(space)
        key = keys.get(space_id, "")
        if recording is None:
            clocks[space_id] = _clock(None, space)
        elif key in cached:
            clocks[space_id] = cached[key]
        else:
            clocks[space_id] = _clock_read(recording, key)
    return clocks
