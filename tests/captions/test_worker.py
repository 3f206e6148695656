"""The captions worker's plumbing: datagrams in, services called, backlog dropped.

Recognition here is a stand-in engine defined below (what it "hears" is the level of
the samples), so that these tests are about routing; tests/captions/test_attribution.py
runs the real engine behind real WebRTC.
"""

import asyncio
import socket
import threading
import time

import numpy as np
import pytest
import redis
from django.conf import settings
from django.db import connection

import captions.engine
import captions.worker
from captions.engine import Segment
from captions.models import CaptionSegment
from captions.services import captions_set
from captions.worker import ALIVE_KEY, CaptionsWorker
from mediaserver.captions_feed import TAG_SIZE, pack
from rooms import services as rooms
from rooms.models import Participant
from tests.factories import UserFactory


class LevelEngine:
    """Hears each piece of audio as the word `level<peak>`: a partial per feed, and the
    phrase as final at a gap in time or at close."""

    made: list["LevelEngine"] = []

    def __init__(self, language):
        self.language = language
        self.words: list[str] = []
        self.start = self.end = None
        self.fed: list[tuple[float, int]] = []  # (at, samples)
        self.closed = False
        self.gate: threading.Event | None = None
        self.fail = False
        LevelEngine.made.append(self)

    def feed(self, pcm, at):
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("the model fell over")
        self.fed.append((at, len(pcm)))
        out = []
        if self.end is not None and at - self.end > 0.3:
            out += self._final()
        if self.start is None:
            self.start = at
        self.end = at + len(pcm) / 16000
        word = f"level{int(np.abs(pcm).max())}"
        if not self.words or self.words[-1] != word:
            self.words.append(word)
        return [*out, Segment(" ".join(self.words), self.start, self.end, False, self.key)]

    @property
    def key(self):
        return f"k{id(self)}-{self.start}"

    def _final(self):
        if not self.words:
            return []
        final = Segment(" ".join(self.words), self.start, self.end, True, self.key)
        self.words, self.start = [], None
        return [final]

    def close(self):
        self.closed = True
        return self._final()


@pytest.fixture(autouse=True)
def engine(monkeypatch):
    LevelEngine.made = []
    monkeypatch.setattr(captions.engine, "load", LevelEngine, raising=False)
    return LevelEngine


@pytest.fixture
def space(transactional_db, host):
    space = rooms.space_create(host=host, title="Captioned", captions_language="en")
    captions_set(space=space, actor=host, enabled=True)
    return space


@pytest.fixture
def seats(space, host):
    """The host's seat and a speaker's, on the stage of the captioned Space."""
    speaker = UserFactory(handle="sam", display_name="Sam Speaker")
    seat = rooms.space_join(space=space, user=speaker)
    rooms.hand_raise(participant=seat)
    rooms.request_approve(space=space, actor=space.host, participant_id=seat.pk)
    return Participant.objects.get(space=space, user=space.host), seat


def tone(level: int, seconds: float = 0.1) -> np.ndarray:
    pcm = np.full(int(16000 * seconds), level, dtype=np.int16)
    pcm[::2] = -level  # audible: a square wave at 8 kHz
    return pcm


def run(scenario, **options):
    """Run the worker on a free port around `scenario(worker, send)`; return the worker
    after a graceful stop (every stream closed, its last phrase captioned)."""

    async def main():
        worker = CaptionsWorker(address="127.0.0.1:0", poll_seconds=0.05, **options)
        address = await worker.start()
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        def send(data: bytes) -> None:
            out.sendto(data, address)

        stop = asyncio.Event()
        running = asyncio.ensure_future(worker.run(stop))
        try:
            await scenario(worker, send)
        finally:
            stop.set()
            await asyncio.wait_for(running, 15)
            out.close()
        return worker

    return asyncio.run(main())


async def switch(**options):
    """The host's captions switch, from a thread of its own as a request would."""

    def call():
        try:
            captions_set(**options)
        finally:
            connection.close()

    await asyncio.to_thread(call)


async def until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def chunks(space_id, participant_id, level, *, seconds, at):
    """`seconds` of a speaker's audio as the mixer's 100 ms datagrams, from time `at`."""
    return [
        pack(space_id=space_id, participant_id=participant_id, at=at + n / 10, pcm=tone(level))
        for n in range(round(seconds * 10))
    ]


def of_type(events, name):
    """The data of the room events called `name`, in order."""
    return [e["data"] for _group, e in events if e.get("event") == name]


def finals(events):
    return of_type(events, "captions.final")


def test_it_captions_each_speaker_under_their_own_name(space, seats, events):
    hana, sam = seats
    now = time.time()
    # The two speak at once, their datagrams interleaved as the mixer sends them.
    mixed = zip(
        chunks(space.pk, hana.pk, 1000, seconds=0.5, at=now),
        chunks(space.pk, sam.pk, 2000, seconds=0.5, at=now),
        strict=True,
    )

    async def scenario(worker, send):
        for one, two in mixed:
            send(one)
            send(two)
        await until(lambda: sum((e.fed and 5) or 0 for e in LevelEngine.made) >= 10)

    run(scenario)

    rows = CaptionSegment.objects.order_by("participant_id")
    assert [(r.participant_id, r.speaker_name, r.text, r.language) for r in rows] == sorted(
        [(hana.pk, "Hana Host", "level1000", "en"), (sam.pk, "Sam Speaker", "level2000", "en")]
    )
    assert {(e["speaker"]["name"], e["text"]) for e in finals(events)} == {
        ("Hana Host", "level1000"),
        ("Sam Speaker", "level2000"),
    }
    for row in rows:
        assert row.started_at.timestamp() == pytest.approx(now, abs=0.002)
        assert row.ended_at.timestamp() == pytest.approx(now + 0.5, abs=0.002)
    partials = of_type(events, "captions.partial")
    assert partials
    assert all(
        (e["speaker"]["name"], e["text"])
        in {("Hana Host", "level1000"), ("Sam Speaker", "level2000")}
        for e in partials
    )


def test_a_phrase_after_a_pause_is_a_caption_of_its_own(space, seats, events):
    hana, _sam = seats
    now = time.time()

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.5, at=now):
            send(data)
        # A late frame leaves a 20 ms hole: the same phrase, the hole filled with quiet.
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=now + 0.52):
            send(data)
        # Muted for two seconds: a new phrase.
        for data in chunks(space.pk, hana.pk, 3000, seconds=0.3, at=now + 2.82):
            send(data)
        await until(lambda: sum(n for e in LevelEngine.made for _at, n in e.fed) >= 16000 * 1.1)

    run(scenario)

    assert [e["text"] for e in finals(events)] == ["level1000", "level3000"]
    (engine,) = LevelEngine.made
    fed = sum(n for _at, n in engine.fed)
    assert fed == 16000 * 0.5 + 320 + 16000 * 0.3 + 16000 * 0.3


def test_a_backlog_is_dropped_and_the_room_told_it_is_behind_then_caught_up(
    space, seats, events, engine
):
    hana, _sam = seats
    gate = threading.Event()
    now = time.time()
    original = engine.__init__

    def gated(self, language):
        original(self, language)
        self.gate = gate

    engine.__init__ = gated

    async def scenario(worker, send):
        try:
            send(chunks(space.pk, hana.pk, 1000, seconds=0.1, at=now)[0])
            await until(lambda: LevelEngine.made)  # the first feed is stuck in recognition
            for data in chunks(space.pk, hana.pk, 2000, seconds=5, at=now + 0.1):
                send(data)
            stream = next(iter(worker.streams.values()))
            await until(lambda: stream.behind)
            assert stream.queued == pytest.approx(1.0)
            await until(lambda: of_type(events, "captions.behind"))
        finally:
            gate.set()
        await until(lambda: len(of_type(events, "captions.behind")) == 2)

    run(scenario, max_backlog=1.0)

    assert [e["behind"] for e in of_type(events, "captions.behind")] == [True, False]
    (engine_made,) = LevelEngine.made
    # The first 100 ms, then only the last second of the five: the rest was dropped.
    assert engine_made.fed[0] == (pytest.approx(now, abs=0.001), 1600)
    assert sum(n for _at, n in engine_made.fed[1:]) == 16000
    assert engine_made.fed[1][0] == pytest.approx(now + 4.1, abs=0.001)
    assert [r.text for r in CaptionSegment.objects.all()] == ["level1000", "level2000"]


def test_a_space_without_captions_gets_nothing(space, seats, events, host):
    _hana, _sam = seats
    quiet = rooms.space_create(host=UserFactory(), title="No captions")
    quiet_host = Participant.objects.get(space=quiet, user=quiet.host)

    async def scenario(worker, send):
        for data in chunks(quiet.pk, quiet_host.pk, 1000, seconds=0.5, at=time.time()):
            send(data)
        await until(lambda: worker.discarded == 5)

    worker = run(scenario)

    assert LevelEngine.made == []
    assert worker.streams == {}
    assert [e for _g, e in events if e.get("event", "").startswith("captions.")] == []
    assert not CaptionSegment.objects.exists()


def test_turning_captions_off_closes_the_streams_and_captions_nothing_more(
    space, seats, events, host
):
    hana, _sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: LevelEngine.made and LevelEngine.made[0].fed)
        await switch(space=space, actor=host, enabled=False)
        await until(lambda: LevelEngine.made[0].closed)
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: worker.discarded == 3)

    worker = run(scenario)

    assert len(LevelEngine.made) == 1
    assert worker.streams == {}
    assert not CaptionSegment.objects.exists()  # its last phrase came after the switch
    assert finals(events) == []


def test_a_new_language_gets_a_new_engine(space, seats, events, host):
    hana, _sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: LevelEngine.made and LevelEngine.made[0].fed)
        await switch(space=space, actor=host, enabled=True, language="it")
        await until(lambda: LevelEngine.made[0].closed)
        for data in chunks(space.pk, hana.pk, 2000, seconds=0.3, at=time.time() + 1):
            send(data)
        await until(lambda: len(LevelEngine.made) == 2 and LevelEngine.made[1].fed)

    run(scenario)

    assert [e.language for e in LevelEngine.made] == ["en", "it"]
    assert [(r.text, r.language) for r in CaptionSegment.objects.all()] == [
        ("level1000", "en"),
        ("level2000", "it"),
    ]


def test_a_speaker_silent_for_a_while_has_their_phrase_finished(space, seats, events):
    hana, _sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: finals(events), timeout=3)

    run(scenario, idle_seconds=0.5)

    assert [e["text"] for e in finals(events)] == ["level1000"]
    assert LevelEngine.made[0].closed


def test_bad_datagrams_are_ignored_and_the_worker_goes_on(space, seats, events):
    hana, _sam = seats
    good = chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time())

    async def scenario(worker, send):
        for junk in (b"", b"GET / HTTP/1.1\r\n\r\n", good[0][:-1], b"SPCF" + bytes(100)):
            send(junk)
        for data in good:
            send(data)
        await until(lambda: LevelEngine.made and len(LevelEngine.made[0].fed) >= 1)

    worker = run(scenario)

    assert worker.bad == 4
    assert [e["text"] for e in finals(events)] == ["level1000"]


def test_an_engine_that_fails_is_replaced_and_the_worker_goes_on(space, seats, events):
    hana, _sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.1, at=time.time()):
            send(data)
        await until(lambda: LevelEngine.made and LevelEngine.made[0].fed)
        LevelEngine.made[0].fail = True
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.1, at=time.time() + 1):
            send(data)
        await until(lambda: worker.streams and next(iter(worker.streams.values())).engine is None)
        await asyncio.sleep(1.1)  # a failed engine is made again after a second
        for data in chunks(space.pk, hana.pk, 2000, seconds=0.3, at=time.time() + 2):
            send(data)
        await until(lambda: len(LevelEngine.made) == 2 and LevelEngine.made[1].fed)

    run(scenario)

    assert [e["text"] for e in finals(events)] == ["level2000"]


def test_a_language_without_a_model_captions_nothing_and_crashes_nothing(
    space, seats, events, monkeypatch
):
    hana, _sam = seats

    def no_model(language):
        raise LookupError(f"no model for {language}")

    monkeypatch.setattr(captions.engine, "load", no_model, raising=False)

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: worker.streams and next(iter(worker.streams.values())).failed)

    run(scenario)

    assert events == []


def test_a_speaker_who_mutes_has_their_last_phrase_captioned_within_two_seconds(
    space, seats, events
):
    hana, _sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.5, at=time.time()):
            send(data)
        last = time.monotonic()
        # Muted: the mixer sends nothing more, and the worker finishes the phrase itself.
        await until(lambda: finals(events), timeout=2.0)
        assert time.monotonic() - last < 2.0
        assert [e["text"] for e in finals(events)] == ["level1000"]

    run(scenario)

    assert [e["text"] for e in finals(events)] == ["level1000"]


def test_a_seat_not_on_the_stage_is_not_heard(space, seats, events):
    hana, _sam = seats
    listener = rooms.space_join(space=space, user=UserFactory(handle="lou"))

    async def scenario(worker, send):
        for data in chunks(space.pk, listener.pk, 3000, seconds=0.3, at=time.time()):
            send(data)
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: LevelEngine.made and LevelEngine.made[0].fed)

    worker = run(scenario)

    assert worker.discarded == 3
    assert [e["text"] for e in finals(events)] == ["level1000"]


def test_a_speaker_who_leaves_the_stage_is_heard_no_more(space, seats, events):
    _hana, sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, sam.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: finals(events))
        await asyncio.to_thread(_leave_stage, sam.pk)
        await until(lambda: sam.pk not in worker.stage.get(space.pk, ()))
        for data in chunks(space.pk, sam.pk, 2000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: worker.discarded >= 3)

    run(scenario)

    assert [e["text"] for e in finals(events)] == ["level1000"]


def _leave_stage(participant_id):
    try:
        Participant.objects.filter(pk=participant_id).update(role=Participant.Role.LISTENER)
    finally:
        connection.close()


def test_audio_timed_far_from_now_is_dropped(space, seats, events):
    hana, _sam = seats

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 3000, seconds=0.3, at=time.time() - 60):
            send(data)
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: LevelEngine.made and LevelEngine.made[0].fed)

    worker = run(scenario)

    assert worker.discarded == 3
    assert [e["text"] for e in finals(events)] == ["level1000"]


def test_a_space_has_at_most_so_many_streams(space, seats, events, monkeypatch):
    hana, sam = seats
    monkeypatch.setattr(captions.worker, "MAX_STREAMS", 1)

    async def scenario(worker, send):
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: worker.streams)
        for data in chunks(space.pk, sam.pk, 2000, seconds=0.3, at=time.time()):
            send(data)
        await until(lambda: worker.discarded >= 3)

    run(scenario)

    assert [e["text"] for e in finals(events)] == ["level1000"]


def test_a_datagram_not_signed_with_the_sites_key_is_dropped(space, seats, events, settings):
    hana, _sam = seats
    good = chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time())
    tampered = [data[: -TAG_SIZE - 1] + b"\x01" + data[-TAG_SIZE:] for data in good]
    key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-site"
    forged = chunks(space.pk, hana.pk, 3000, seconds=0.3, at=time.time())
    settings.SECRET_KEY = key

    async def scenario(worker, send):
        for data in forged + tampered:
            send(data)
        await until(lambda: worker.bad >= 6)
        for data in good:
            send(data)
        await until(lambda: LevelEngine.made and LevelEngine.made[0].fed)

    worker = run(scenario)

    assert worker.bad == 6
    assert [e["text"] for e in finals(events)] == ["level1000"]


def test_an_engine_that_keeps_failing_is_made_again_after_a_while(space, seats, monkeypatch):
    hana, _sam = seats
    made = []

    class Broken(LevelEngine):
        def feed(self, pcm, at):
            made.append(time.monotonic())
            raise RuntimeError("the model fell over")

    monkeypatch.setattr(captions.engine, "load", Broken, raising=False)

    async def scenario(worker, send):
        # Half a second of speech, as the mixer sends it: one datagram each 100 ms.
        for data in chunks(space.pk, hana.pk, 1000, seconds=0.5, at=time.time()):
            send(data)
            await asyncio.sleep(0.1)

    run(scenario)

    assert len(made) == 1


def test_a_language_without_a_model_is_logged_once_per_speaker(
    space, seats, events, monkeypatch, caplog
):
    hana, _sam = seats

    def no_model(language):
        raise LookupError(f"no model for {language}")

    monkeypatch.setattr(captions.engine, "load", no_model, raising=False)

    async def scenario(worker, send):
        for _ in range(2):
            for data in chunks(space.pk, hana.pk, 1000, seconds=0.3, at=time.time()):
                send(data)
            await until(lambda: worker.streams and next(iter(worker.streams.values())).failed)
            await until(lambda: not worker.streams)  # idle: retired, then it comes back

    run(scenario, idle_seconds=0.2)

    assert len([r for r in caplog.records if "No captions engine" in r.getMessage()]) == 1


def test_a_running_worker_keeps_a_heartbeat(space):
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(ALIVE_KEY)
    seen = []

    async def scenario(worker, send):
        await until(lambda: worker.redis is not None)
        await asyncio.sleep(0.3)
        seen.append(await asyncio.to_thread(client.pttl, ALIVE_KEY))

    run(scenario)

    assert 0 < seen[0] <= 3000
    client.close()
