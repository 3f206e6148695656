"""Reads for recordings and clips."""

import re

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import reverse

from accounts.selectors import is_blocked_between
from recordings import files
from recordings.access import access_space_recording
from recordings.models import Clip, Recording, ReplayEvent, SpeakingTurn
from recordings.offsets import Clock
from rooms.models import Space
from rooms.selectors import hosts_shutting_out
from timeline.selectors import visible_tweets


def recording_id_for(*, space_id: int) -> int | None:
    """The id of a Space's recording still kept, if any."""
    return (
        Recording.objects.filter(space_id=space_id)
        .exclude(state=Recording.State.DELETED)
        .values_list("pk", flat=True)
        .first()
    )


def recording_deleted(*, space_id: int) -> int | None:
    """The id of a Space's recording that the host deleted, if so."""
    return (
        Recording.objects.filter(space_id=space_id, state=Recording.State.DELETED)
        .values_list("pk", flat=True)
        .first()
    )


def space_recorded(*, space_id: int) -> bool:
    """Whether the Space was to be recorded (its host chose so before starting)."""
    return Space.objects.filter(pk=space_id, record=True).exists()


def recording_panel(*, space, user) -> dict | None:
    """What an ended Space's page shows of its recording: everything to its host (state,
    actions), a playable replay to anyone else who may play it; None for nothing."""
    try:
        recording = access_space_recording(space=space, user=user)
    except Http404:
        return None
    is_host = user is not None and user.is_authenticated and user.pk == space.host_id
    # `user` too: the inclusion tag's template gets no other context (the clip cutter).
    panel = {"recording": recording, "is_host": is_host, "space": space, "user": user}
    if recording.playable:
        panel["replay"] = replay_data(recording, user)
    return panel


# Replay ------------------------------------------------------------------------------------


def recording_playable(*, space, user) -> Recording:
    """The recording of this Space if this person may play it now (the host as well): 404."""
    recording = access_space_recording(space=space, user=user)
    if not recording.playable:
        raise Http404("No recording.")
    return recording


def _pinned_ids(event: ReplayEvent) -> list[int]:
    if "tweet_ids" in event.data:
        return event.data["tweet_ids"]
    return [pin["tweet_id"] for pin in event.data.get("pins", [])]  # stored before ids


def _pins_for(viewer, tweet_ids: set[int]) -> dict[int, dict]:
    """The pinned tweets this viewer may see now, as the live room shows pins."""
    if not tweet_ids:
        return {}
    tweets = visible_tweets(viewer if viewer is not None else AnonymousUser())
    return {
        tweet.pk: {
            "tweet_id": tweet.pk,
            "text": tweet.text,
            "handle": tweet.author.handle,
            "name": tweet.author.name,
            "url": tweet.get_absolute_url(),
        }
        for tweet in tweets.filter(pk__in=tweet_ids)
    }


def replay_data(recording: Recording, viewer=None) -> dict:
    """Everything a replay shows beside the audio, at offsets on the recording's own
    timeline (0 = its first sample, whatever the trim): the waveform, who spoke when (a
    lane per person), the reaction batches, the pinned tweets as they changed and as
    this viewer may see them now, the plays. Three queries (two without pins), however
    long the Space."""
    playlist = files.playlist_read(recording.prefix)
    clock = Clock.of(playlist, recording.started_at)
    end = recording.duration or clock.duration
    lanes: dict[int, dict] = {}
    turns = SpeakingTurn.objects.filter(recording=recording).select_related("participant__user")
    for turn in turns.order_by("started_at", "pk"):
        start = clock.offset(turn.started_at)
        stop = clock.offset(turn.ended_at) if turn.ended_at is not None else end
        if stop <= start and turn.ended_at is not None:
            continue  # spoke only while nothing was recorded
        lane = lanes.get(turn.participant_id)
        if lane is None:
            user = turn.participant.user
            lane = lanes[turn.participant_id] = {
                "participant_id": turn.participant_id,
                "handle": user.handle if user else None,
                "name": user.name if user else None,
                "avatar": user.avatar.url if user and user.avatar else None,
                "turns": [],
            }
        lane["turns"].append([start, max(start, stop)])
    reactions, pin_changes = [], []
    for event in ReplayEvent.objects.filter(recording=recording).order_by("at", "pk"):
        offset = clock.offset(event.at)
        if event.kind == ReplayEvent.Kind.REACTIONS:
            reactions.append({"offset": offset, **event.data})
        else:
            pin_changes.append((offset, _pinned_ids(event)))
    shown = _pins_for(viewer, {pk for _offset, ids in pin_changes for pk in ids})
    pins = [
        {"offset": offset, "pins": [shown[pk] for pk in ids if pk in shown]}
        for offset, ids in pin_changes
    ]
    return {
        "duration": end,
        "trim_start": recording.trim_start,
        # Where the served (trimmed) playlist's time 0 is: the first segment it keeps.
        "playlist_start": (
            sum(s.duration for s in playlist.segments[: playlist.skipped(recording.trim_start)])
            if playlist is not None
            else 0.0
        ),
        "playlist_url": reverse("recordings:file", args=[recording.pk, files.PLAYLIST]),
        "waveform": recording.waveform,
        "speakers": list(lanes.values()),
        "reactions": reactions,
        "pins": pins,
        "plays": recording.plays,
    }


# Clips -------------------------------------------------------------------------------------

# A clip's link in a tweet's text: /c/<code>/ on any host (the code alone is the key).
CLIP_LINK = re.compile(r"/c/([A-Za-z0-9]{10})(?![A-Za-z0-9])")


def clip_cards(*, tweets, viewer) -> dict[int, list[dict]]:
    """Clip cards for a page of tweets (timeline.cards provider): one query for the clips
    linked from the whole page, one for the hosts keeping the viewer away (blocks either
    way, bans); none when no tweet links to a clip."""
    wanted = {tweet.pk: CLIP_LINK.findall(tweet.text or "") for tweet in tweets}
    codes = {code for found in wanted.values() for code in found}
    if not codes:
        return {}
    clips = {
        clip.code: clip
        for clip in Clip.objects.select_related("recording__space__host").filter(
            code__in=codes, state=Clip.State.READY
        )
        if clip.playable
    }
    away = hosts_shutting_out(viewer, {clip.recording.space.host_id for clip in clips.values()})
    clips = {c: clip for c, clip in clips.items() if clip.recording.space.host_id not in away}
    cards = {}
    for tweet_id, found in wanted.items():
        seen = []
        for code in found:
            if code in clips and code not in seen:
                seen.append(code)
        if seen:
            cards[tweet_id] = [
                {"template": "recordings/_clip_card.html", "clip": clips[code]} for code in seen
            ]
    return cards


def clip_creator_hidden(clip: Clip, viewer) -> bool:
    """Whether the clip's creator is to be shown as "someone" to this viewer: a block
    between them, as for any other account the viewer must not see."""
    if clip.creator is None or viewer is None or not viewer.is_authenticated:
        return False
    return is_blocked_between(viewer, clip.creator)
