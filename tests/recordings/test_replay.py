"""Replays: what is noted while a recorded Space is live, the offsets read from the
playlist's dates, the waveform of a real recording, the replay data and its API, plays."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import block_create
from mediaserver.signals import speaking as speaking_signal
from recordings import files, selectors
from recordings import services as recording_services
from recordings.models import Recording, ReplayEvent, SpeakingTurn
from recordings.offsets import Clock
from rooms import services
from rooms.models import Participant
from tests.factories import TweetFactory, UserFactory
from tests.recordings.conftest import write_hls
from tests.recordings.replay_kit import record, silence, tone
from tests.rooms.conftest import on_stage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget():
    recording_services.replay_memory_clear()
    yield
    recording_services.replay_memory_clear()


def speak(space, *participants):
    async_to_sync(speaking_signal.asend)(
        sender=None, space_id=space.pk, speaking=[p.pk for p in participants]
    )


def seat_of(space, user):
    return Participant.objects.get(space=space, user=user, left_at__isnull=True)


@pytest.fixture
def speaker(recorded):
    user = UserFactory(handle="grace", display_name="Grace Hopper")
    on_stage(recorded, user)
    return seat_of(recorded, user)


# Noted while live --------------------------------------------------------------------------


def test_speaking_turns_are_stored_for_a_recorded_live_space(recorded, host, speaker):
    hana = seat_of(recorded, host)
    speak(recorded, hana)
    speak(recorded, hana, speaker)
    speak(recorded, speaker)

    turns = SpeakingTurn.objects.order_by("pk")
    assert [(t.participant_id, t.ended_at is None) for t in turns] == [
        (hana.pk, False),
        (speaker.pk, True),
    ]


def test_someone_still_speaking_writes_nothing(recorded, host, django_assert_num_queries):
    hana = seat_of(recorded, host)
    speak(recorded, hana)
    with django_assert_num_queries(0):
        for _ in range(5):
            speak(recorded, hana)  # the media server's 2 s repeat

    assert SpeakingTurn.objects.count() == 1


def test_an_unrecorded_space_stores_nothing_and_asks_once(unrecorded, host):
    hana = seat_of(unrecorded, host)
    speak(unrecorded, hana)
    services.reactions_flush(space_id=unrecorded.pk, counts={"👍": 1}, reactors={})
    with CaptureQueriesContext(connection) as queries:
        speak(unrecorded)
        services.reactions_flush(space_id=unrecorded.pk, counts={"👍": 2}, reactors={})

    assert [q["sql"] for q in queries if "recordings_" in q["sql"]] == []
    assert (SpeakingTurn.objects.count(), ReplayEvent.objects.count()) == (0, 0)


def test_turns_still_open_end_with_the_space(recorded, host, django_capture_on_commit_callbacks):
    speak(recorded, seat_of(recorded, host))
    write_hls(recorded.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)
    recorded.refresh_from_db()

    assert SpeakingTurn.objects.get().ended_at == recorded.ended_at


def test_reaction_batches_and_pins_are_stored_for_a_recorded_space(recorded, host, speaker):
    tweet = TweetFactory(author=host, text="Notes for today")
    services.reactions_flush(
        space_id=recorded.pk, counts={"😂": 3, "👍": 1}, reactors={speaker.pk: "😂"}
    )
    services.pin_add(space=recorded, actor=host, tweet_id=tweet.pk)
    services.pin_remove(space=recorded, actor=host, tweet_id=tweet.pk)

    events = list(ReplayEvent.objects.order_by("pk"))
    assert [(e.kind, e.data) for e in events] == [
        ("pins", {"tweet_ids": []}),  # as they were when the recording started
        ("reactions", {"counts": {"😂": 3, "👍": 1}, "reactors": {str(speaker.pk): "😂"}}),
        ("pins", {"tweet_ids": [tweet.pk]}),  # ids only: resolved for each viewer
        ("pins", {"tweet_ids": []}),
    ]


def pytest_pin(tweet):
    return {
        "tweet_id": tweet.pk,
        "text": tweet.text,
        "handle": tweet.author.handle,
        "name": tweet.author.name,
        "url": tweet.get_absolute_url(),
    }


def test_an_unrecorded_space_stores_no_pins(unrecorded, host):
    tweet = TweetFactory(author=host)
    services.pin_add(space=unrecorded, actor=host, tweet_id=tweet.pk)

    assert ReplayEvent.objects.count() == 0


# Offsets -----------------------------------------------------------------------------------

T0 = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)


def stamp(seconds: float) -> str:
    moment = T0 + timedelta(seconds=seconds)
    return "#EXT-X-PROGRAM-DATE-TIME:" + moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def playlist(*segments) -> files.Playlist:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", '#EXT-X-MAP:URI="init.mp4"']
    for n, (date, duration, discontinuity) in enumerate(segments):
        if discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        if date is not None:
            lines.append(stamp(date))
        lines += [f"#EXTINF:{duration:.3f},", f"seg-{n:06d}.m4s"]
    return files.Playlist.parse("\n".join([*lines, "#EXT-X-ENDLIST"]))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_offsets_follow_the_program_date_time_across_a_discontinuity():
    # 0-4 s recorded from T0+1 s; the egress was down 20 s; 4-8 s recorded from T0+25 s.
    clock = Clock.of(
        playlist((1, 2, False), (3, 2, False), (25, 2, True), (27, 2, False)),
        started_at=T0,
    )

    assert [clock.offset(at(s)) for s in (0.5, 1, 2.5, 4.9, 10, 25, 26.5, 28.25, 99)] == [
        0.0,  # before the first sample
        0.0,
        1.5,
        3.9,
        4.0,  # while nothing was recorded: where the recording goes on
        4.0,
        5.5,
        7.25,
        8.0,  # after the end
    ]


def test_offsets_without_dates_count_from_the_start():
    clock = Clock.of(playlist((None, 2, False), (None, 2, False)), started_at=T0)

    assert [clock.offset(at(s)) for s in (-1, 1.5, 3.25, 9)] == [0.0, 1.5, 3.25, 4.0]


def test_offsets_without_a_playlist_count_from_the_start():
    assert Clock.of(None, started_at=T0).offset(at(12.5)) == 12.5


# The waveform of a real recording ----------------------------------------------------------


@pytest.fixture
def real(recorded, host, django_capture_on_commit_callbacks):
    """The recorded Space with 6 s from the real egress: 2 s quiet, 2 s tone, 2 s quiet,
    its first sample mixed 1 s after it started; then it ends."""
    started = recorded.started_at.timestamp()
    record(recorded.pk, np.concatenate([silence(2), tone(2), silence(2)]), wall_start=started + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.space_end(space=recorded, actor=host)
    return Recording.objects.get(space=recorded)


def test_the_waveform_of_a_real_recording_shows_where_the_sound_is(real):
    waveform = real.waveform  # measured by the task queued once it was measured

    assert len(waveform) == 60  # one peak per 0.1 s
    loud = [i for i, peak in enumerate(waveform) if peak > 0.1]
    assert loud[0] in range(19, 22), waveform
    assert loud[-1] in range(39, 42), waveform
    assert 0.15 < max(waveform) < 0.35  # an amplitude of 8000 of 32768


def test_a_recording_that_does_not_decode_has_no_waveform(recording):
    assert Recording.objects.get(pk=recording.pk).waveform == []


# Replay data and its API -------------------------------------------------------------------


def test_replay_data_puts_each_event_at_its_offset(speaker, real, django_assert_num_queries):
    started = real.space.started_at
    SpeakingTurn.objects.create(
        recording=real,
        participant=speaker,
        started_at=started + timedelta(seconds=3),
        ended_at=started + timedelta(seconds=5.5),
    )
    ReplayEvent.objects.create(
        recording=real,
        kind="reactions",
        at=started + timedelta(seconds=4.25),
        data={"counts": {"😂": 2}, "reactors": {str(speaker.pk): "😂"}},
    )
    ReplayEvent.objects.filter(kind="pins").update(at=started)

    with django_assert_num_queries(2):
        data = selectors.replay_data(real)

    # Within a millisecond: PROGRAM-DATE-TIME has milliseconds.
    [lane] = data["speakers"]
    [(start, end)] = lane.pop("turns")
    assert lane == {
        "participant_id": speaker.pk,
        "handle": "grace",
        "name": "Grace Hopper",
        "avatar": None,
    }
    assert (start, end) == pytest.approx((2.0, 4.5), abs=0.002)  # recorded from 1 s in
    [reaction] = data["reactions"]
    assert reaction.pop("offset") == pytest.approx(3.25, abs=0.002)
    assert reaction == {"counts": {"😂": 2}, "reactors": {str(speaker.pk): "😂"}}
    assert data["pins"] == [{"offset": 0.0, "pins": []}]
    assert (data["duration"], data["trim_start"], data["plays"], len(data["waveform"])) == (
        6.0,
        0.0,
        0,
        60,
    )


@pytest.fixture
def pinned(real, host):
    """The ended Space's replay with two tweets pinned at its start, one of them by Ann."""
    ann = UserFactory(handle="ann")
    notes = TweetFactory(author=host, text="The notes")
    hers = TweetFactory(author=ann, text="Ann says so")
    ReplayEvent.objects.filter(kind="pins").delete()
    ReplayEvent.objects.create(
        recording=real,
        kind="pins",
        at=real.space.started_at,
        data={"tweet_ids": [notes.pk, hers.pk]},
    )
    return notes, hers


def _pinned_texts(data) -> list[list[str]]:
    return [[pin["text"] for pin in change["pins"]] for change in data["pins"]]


def test_the_replay_shows_the_pins_as_the_live_room_did(api, pinned):
    notes, _hers = pinned
    data = api.get(replay_url(notes.author.hosted_spaces.get())).json()

    assert _pinned_texts(data) == [["The notes", "Ann says so"]]
    assert data["pins"][0]["pins"][0] == pytest_pin(notes)


def test_a_deleted_pinned_tweet_is_not_in_the_replay(api, pinned, client):
    notes, hers = pinned
    space = notes.author.hosted_spaces.get()
    hers.delete()

    assert _pinned_texts(api.get(replay_url(space)).json()) == [["The notes"]]
    assert "Ann says so" not in client.get(space.get_absolute_url()).content.decode()


@pytest.mark.parametrize("who_blocks", ["viewer", "author"])
def test_a_pinned_tweet_by_someone_blocked_is_not_in_their_replay(api, client, pinned, who_blocks):
    notes, hers = pinned
    space = notes.author.hosted_spaces.get()
    viewer = UserFactory()
    if who_blocks == "viewer":
        block_create(blocker=viewer, blocked=hers.author)
    else:
        block_create(blocker=hers.author, blocked=viewer)
    api.force_authenticate(viewer)
    client.force_login(viewer)

    assert _pinned_texts(api.get(replay_url(space)).json()) == [["The notes"]]
    page = client.get(space.get_absolute_url()).content.decode()
    assert "The notes" in page
    assert "Ann says so" not in page
    api.force_authenticate(None)
    assert _pinned_texts(api.get(replay_url(space)).json()) == [["The notes", "Ann says so"]]


def replay_url(space):
    return reverse("api-space-replay", args=[space.code])


def test_the_api_answers_the_replay_data(api, real):
    data = api.get(replay_url(real.space)).json()

    assert set(data) == {
        "duration",
        "trim_start",
        "playlist_start",
        "playlist_url",
        "waveform",
        "speakers",
        "reactions",
        "pins",
        "plays",
    }
    assert data["playlist_url"] == f"/recordings/{real.pk}/index.m3u8"


def test_the_api_says_a_space_was_not_recorded(api, unrecorded, host):
    services.space_end(space=unrecorded, actor=host)
    response = api.get(replay_url(unrecorded))

    assert (response.status_code, response.json()["code"]) == (404, "not_recorded")


def test_the_api_hides_the_replay_from_a_blocked_person(api, recording, host):
    person = UserFactory(handle="blocked")
    block_create(blocker=host, blocked=person)
    api.force_authenticate(person)
    response = api.get(replay_url(recording.space))

    assert (response.status_code, response.json()["code"]) == (404, "no_replay")


def test_the_api_tells_the_host_the_recording_was_deleted(
    api, recording, host, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording_services.recording_delete(recording=recording, actor=host)
    api.force_authenticate(host)
    response = api.get(replay_url(recording.space))
    other = api.__class__().get(replay_url(recording.space))

    assert (response.status_code, response.json()["code"]) == (404, "recording_deleted")
    assert (other.status_code, other.json()["code"]) == (404, "no_replay")


def test_the_api_of_a_live_space(api, recorded):
    response = api.get(replay_url(recorded))

    assert (response.status_code, response.json()["code"]) == (404, "no_replay")


# Plays -------------------------------------------------------------------------------------


def _viewer(recording):
    """A browser that opened the replay's page (which gives it its session)."""
    browser = Client()
    page = browser.get(recording.space.get_absolute_url())
    assert b'id="replay-data"' in page.content
    return browser


def test_a_play_counts_once_per_session(recording):
    url = reverse("recordings:play", args=[recording.space.code])
    browser = _viewer(recording)

    first = browser.post(url).json()
    again = browser.post(url).json()
    other = _viewer(recording).post(url).json()

    assert (first, again, other) == ({"plays": 1}, {"plays": 1}, {"plays": 2})


def test_a_play_without_a_session_counts_nothing_and_makes_none(recording):
    url = reverse("recordings:play", args=[recording.space.code])
    sessions = Session.objects.count()

    answers = [Client().post(url).json() for _ in range(3)]

    assert answers == [{"plays": 0}] * 3
    assert Recording.objects.get(pk=recording.pk).plays == 0
    assert Session.objects.count() == sessions


def test_too_many_plays_from_one_address_are_refused(recording):
    url = reverse("recordings:play", args=[recording.space.code])
    for n in range(120):
        browser = _viewer(recording) if n < 2 else Client()  # most without a session
        assert browser.post(url, REMOTE_ADDR="203.0.113.7").status_code == 200

    refused = _viewer(recording).post(url, REMOTE_ADDR="203.0.113.7")
    elsewhere = _viewer(recording).post(url, REMOTE_ADDR="198.51.100.1")

    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert "wait a minute" in refused.json()["detail"]
    assert elsewhere.json() == {"plays": 3}  # two, then the one from the other address


def test_a_play_of_no_recording_is_a_404(client, unrecorded):
    response = client.post(reverse("recordings:play", args=[unrecorded.code]))

    assert response.status_code == 404


def test_a_play_needs_a_post(recording):
    browser = _viewer(recording)
    response = browser.get(reverse("recordings:play", args=[recording.space.code]))

    assert response.status_code == 405
    assert Recording.objects.get(pk=recording.pk).plays == 0


def test_the_page_carries_the_replay_data(client, real):
    response = client.get(real.space.get_absolute_url())

    assert b'id="replay-data"' in response.content


def test_another_process_asks_once_whether_a_space_is_recorded(unrecorded):
    recording_services.replay_memory_clear()  # as a process that did not see it go live
    with CaptureQueriesContext(connection) as first:
        services.reactions_flush(space_id=unrecorded.pk, counts={"👍": 1}, reactors={})
    with CaptureQueriesContext(connection) as then:
        services.reactions_flush(space_id=unrecorded.pk, counts={"👍": 1}, reactors={})

    assert len([q for q in first if "recordings_" in q["sql"]]) == 1
    assert [q for q in then if "recordings_" in q["sql"]] == []


def test_the_waveform_is_measured_once(real, monkeypatch, django_capture_on_commit_callbacks):
    decoded = []
    monkeypatch.setattr(
        "recordings.services.replay.waveform_peaks", lambda *a: decoded.append(a) or [1.0]
    )
    with django_capture_on_commit_callbacks(execute=True):
        recording_services.recording_measure(recording_id=real.pk)

    assert decoded == []
    assert Recording.objects.get(pk=real.pk).waveform == real.waveform


def test_a_play_needs_the_csrf_token(recording):
    response = Client(enforce_csrf_checks=True).post(
        reverse("recordings:play", args=[recording.space.code])
    )

    assert response.status_code == 403
    assert Recording.objects.get(pk=recording.pk).plays == 0


def test_too_many_plays_from_one_session_are_refused(recording):
    url = reverse("recordings:play", args=[recording.space.code])
    client = _viewer(recording)
    for _ in range(30):
        client.post(url)
    response = client.post(url)

    assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
    assert Recording.objects.get(pk=recording.pk).plays == 1


def test_the_panel_passes_the_person_to_the_clip_cutter(recording, host):
    panel = selectors.recording_panel(space=recording.space, user=host)

    assert (panel["user"], panel["space"], panel["recording"]) == (
        host,
        recording.space,
        recording,
    )
