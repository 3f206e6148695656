"""Captions on the replay's timeline: the real egress stamps each segment with the wall
clock of its first sample (PROGRAM-DATE-TIME), and a caption's offset is read from the
same clock as the replay's turns, so that the words show when they are heard."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from django.test import Client

from captions import selectors
from captions.services import caption_segment_add
from recordings import selectors as recording_selectors
from recordings import services as recording_services
from recordings.models import Recording
from rooms import services
from rooms.models import Participant
from tests.captions.factories import said
from tests.factories import UserFactory
from tests.recordings.replay_kit import record, silence, tone
from tests.rooms.conftest import on_stage

pytestmark = pytest.mark.django_db

LEAD = 1.0  # the first sample was mixed this long after the Space went live


@pytest.fixture(autouse=True)
def _forget():
    recording_services.replay_memory_clear()
    yield
    recording_services.replay_memory_clear()


def moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


@pytest.fixture
def grace():
    return UserFactory(handle="grace", display_name="Grace Hopper")


@pytest.fixture
def live(host, grace):
    """A live recorded Space with captions on, Grace on stage."""
    space = services.space_create(host=host, title="Said and heard", record=True, captions=True)
    on_stage(space, grace)
    return space


def end_with_recording(space, host, seconds, capture):
    """The real egress packages `seconds` of audio (a tone in the middle), its first
    sample mixed LEAD s after the Space started; then the Space ends."""
    wall_start = space.started_at.timestamp() + LEAD
    half = seconds / 2
    record(
        space.pk,
        np.concatenate([silence(half - 1), tone(2), silence(half - 1)]),
        wall_start=wall_start,
    )
    with capture(execute=True):
        services.space_end(space=space, actor=host)
    return Recording.objects.get(space=space)


def test_a_caption_added_live_is_placed_by_the_playlists_clock(
    live, host, grace, django_capture_on_commit_callbacks
):
    seat = Participant.objects.get(space=live, user=grace)
    zero = live.started_at.timestamp()
    with django_capture_on_commit_callbacks(execute=True):
        caption_segment_add(
            space_id=live.pk,
            participant_id=seat.pk,
            key="k1",
            text="Heard at three seconds",
            started_at=moment(zero + 3.0),
            ended_at=moment(zero + 4.5),
            language="en",
        )
    recording = end_with_recording(live, host, 6.0, django_capture_on_commit_callbacks)

    [line] = selectors.transcript(live)

    # 3 s after the start is 2 s into a recording whose first sample came 1 s in; the
    # recording row itself started with the Space, so only the playlist's dates say so.
    assert recording.started_at.timestamp() == pytest.approx(zero, abs=0.5)
    assert (line.offset, line.end) == pytest.approx((2.0, 3.5), abs=0.002)
    assert (line.speaker, line.handle, line.text) == (
        "Grace Hopper",
        "grace",
        "Heard at three seconds",
    )


def test_captions_and_speaking_turns_share_one_clock(
    live, host, grace, django_capture_on_commit_callbacks
):
    seat = Participant.objects.get(space=live, user=grace)
    zero = live.started_at.timestamp()
    for at in (2.25, 4.75):
        recording_services.replay_speaking_note(
            space_id=live.pk, speaking=[seat.pk], at=moment(zero + at)
        )
        recording_services.replay_speaking_note(
            space_id=live.pk, speaking=[], at=moment(zero + at + 1.0)
        )
        said(live, grace, f"Said at {at}", at=at, until=at + 1.0)
    recording = end_with_recording(live, host, 8.0, django_capture_on_commit_callbacks)

    turns = recording_selectors.replay_data(recording)["speakers"][0]["turns"]
    lines = selectors.transcript(live)

    flat = [at for turn in turns for at in turn]
    assert [at for line in lines for at in (line.offset, line.end)] == pytest.approx(
        flat, abs=0.001
    )
    assert [line.offset for line in lines] == pytest.approx([1.25, 3.75], abs=0.002)


def test_the_replay_track_and_page_carry_those_offsets(
    live, host, grace, django_capture_on_commit_callbacks
):
    said(live, grace, "On the recording's timeline", at=3.0, until=4.25)
    end_with_recording(live, host, 6.0, django_capture_on_commit_callbacks)

    track = Client().get(f"/spaces/{live.code}/captions.vtt").content.decode()
    page = Client().get(live.get_absolute_url()).content.decode()

    # Within a millisecond: PROGRAM-DATE-TIME has milliseconds.
    header, cue = track.split("\n\n")
    times, text = cue.split("\n", 1)
    start, end = (vtt_seconds(at) for at in times.split(" --> "))
    assert (header, text) == ("WEBVTT", "<v Grace Hopper>On the recording's timeline\n")
    assert (start, end) == pytest.approx((2.0, 3.25), abs=0.002)
    data = page.split('id="replay-captions-data" type="application/json">')[1].split("</script>")[0]
    [shown] = json.loads(data)
    assert (shown["start"], shown["end"]) == pytest.approx((2.0, 3.25), abs=0.002)
    assert (shown["speaker"], shown["text"]) == ("Grace Hopper", "On the recording's timeline")


def vtt_seconds(at: str) -> float:
    hours, minutes, seconds = at.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_a_caption_before_the_first_sample_starts_at_zero(
    live, host, grace, django_capture_on_commit_callbacks
):
    said(live, grace, "Said before anything was recorded", at=0.2, until=1.5)
    end_with_recording(live, host, 6.0, django_capture_on_commit_callbacks)

    [line] = selectors.transcript(live)

    assert (line.offset, line.end) == pytest.approx((0.0, 0.5), abs=0.002)


def test_a_space_without_a_recording_counts_from_its_start(host, grace):
    space = services.space_create(host=host, title="Unrecorded", captions=True)
    said(space, grace, "No replay here", at=7.5, until=9)
    services.space_end(space=space, actor=host)

    [line] = selectors.transcript(space)

    assert (line.offset, line.end) == pytest.approx((7.5, 9.0), abs=0.001)


def test_the_transcript_is_two_queries_however_long(
    live, host, grace, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for n in range(20):
        said(live, grace if n % 2 else host, f"Phrase {n}", at=1 + n * 0.2, until=1.1 + n * 0.2)
    end_with_recording(live, host, 6.0, django_capture_on_commit_callbacks)

    with django_assert_num_queries(2):
        lines = selectors.transcript(live)

    assert len(lines) == 20
