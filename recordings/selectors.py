"""Reads for recordings."""

from django.http import Http404
from django.urls import reverse

from recordings import files
from recordings.access import access_space_recording
from recordings.models import Recording, ReplayEvent, SpeakingTurn
from recordings.offsets import Clock
from rooms.models import Space


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
        panel["replay"] = replay_data(recording)
    return panel


# Replay ------------------------------------------------------------------------------------


def recording_playable(*, space, user) -> Recording:
    """The recording of this Space if this person may play it now (the host as well): 404."""
    recording = access_space_recording(space=space, user=user)
    if not recording.playable:
        raise Http404("No recording.")
    return recording


def replay_data(recording: Recording) -> dict:
    """Everything a replay shows beside the audio, at offsets on the recording's own
    timeline (0 = its first sample, whatever the trim): the waveform, who spoke when (a
    lane per person), the reaction batches, the pinned tweets as they changed, the plays.
    Two queries, however long the Space."""
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
    reactions, pins = [], []
    for event in ReplayEvent.objects.filter(recording=recording).order_by("at", "pk"):
        offset = clock.offset(event.at)
        if event.kind == ReplayEvent.Kind.REACTIONS:
            reactions.append({"offset": offset, **event.data})
        else:
            pins.append({"offset": offset, "pins": event.data.get("pins", [])})
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
