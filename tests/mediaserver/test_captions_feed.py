"""The captions feed: each unmuted speaker's audio leaves the mixer as 16 kHz datagrams."""

import socket
import time
from types import SimpleNamespace

import numpy as np
import pytest

from mediaserver import captions_feed
from mediaserver.captions_feed import (
    HEADER,
    TAG_SIZE,
    BadDatagram,
    CaptionsTap,
    Decimator,
    _tag,
    pack,
    parse_address,
    unpack,
)
from mediaserver.embedded.mixer import FRAME_SAMPLES
from mediaserver.embedded.server import OpusEncoder, Room, Session
from tests.mediaserver.tones import rms, sine

SPACE = 42


@pytest.fixture
def worker():
    """A UDP socket standing in for the captions worker; yields (address, receive)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)

    def receive(limit=100):
        got = []
        sock.settimeout(0.2)
        for _ in range(limit):
            try:
                got.append(unpack(sock.recv(65536)))
            except TimeoutError:
                break
        return got

    host, port = sock.getsockname()
    yield f"{host}:{port}", receive
    sock.close()


def speaker(participant_id: int, *, muted=False) -> Session:
    """A speaker's session as the room's clock sees it (no network: frames are pushed)."""
    session = Session(id=f"s{participant_id}", participant_id=participant_id, publish=True, pc=None)
    session.muted = muted
    session.encoder = OpusEncoder()
    return session


def room_with(address: str, *sessions: Session) -> Room:
    room = Room(SPACE, None)
    room.captions = CaptionsTap(SPACE, address)
    room.sessions = {s.id: s for s in sessions}
    return room


def play(room: Room, tones: dict[str, float], ticks: int) -> None:
    """Push `ticks` frames of each session's tone, ticking the room's clock after each."""
    for tick in range(ticks):
        for session in room.sessions.values():
            tone = sine(tones[session.id], FRAME_SAMPLES, start=tick * FRAME_SAMPLES)
            session.buffer.push(tone)
        room.tick()


def test_a_datagram_packs_and_unpacks():
    pcm = np.arange(-800, 800, dtype=np.int16)
    data = pack(space_id=7, participant_id=2**40, at=1764680000.123, pcm=pcm)

    chunk = unpack(data)

    assert len(data) == HEADER.size + 3200 + TAG_SIZE
    assert (chunk.space_id, chunk.participant_id, chunk.at) == (7, 2**40, 1764680000.123)
    assert chunk.pcm.dtype == np.int16
    assert np.array_equal(chunk.pcm, pcm)
    assert chunk.duration == pytest.approx(0.1)


def signed(raw: bytes) -> bytes:
    """`raw` with a good tag: what the checks behind the tag see."""
    return raw + _tag(raw)


def raw(pcm_samples: int = 10) -> bytes:
    data = pack(space_id=1, participant_id=1, at=0, pcm=np.zeros(pcm_samples, np.int16))
    return data[:-TAG_SIZE]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        raw(),  # no tag (the first version's datagram)
        raw() + bytes(TAG_SIZE),  # a wrong tag
        raw()[:-1] + b"\x01" + pack(space_id=1, participant_id=1, at=0, pcm=np.zeros(10))[-16:],
        signed(b"XXXX" + raw()[4:]),
        signed(raw()[:-1]),  # odd
        signed(raw(0)),  # no audio
        signed(raw()[:4] + b"\x09" + raw()[5:]),  # version
        signed(HEADER.pack(b"SPCF", 2, 1, 1, 0) + bytes(2 * 16001)),  # over a second
    ],
)
def test_what_is_not_a_datagram_of_ours_is_refused(data):
    with pytest.raises(BadDatagram):
        unpack(data)


def test_an_address_is_host_and_port():
    assert parse_address("127.0.0.1:8399") == ("127.0.0.1", 8399)
    assert parse_address("[::1]:8399") == ("::1", 8399)
    with pytest.raises(ValueError, match="host:port"):
        parse_address("127.0.0.1")


def test_the_decimator_keeps_speech_and_stops_what_would_fold_back():
    decimator = Decimator()
    kept = np.concatenate([decimator(sine(1000, 960, start=n * 960)) for n in range(50)])
    decimator = Decimator()
    folded = np.concatenate([decimator(sine(12000, 960, start=n * 960)) for n in range(50)])

    assert len(kept) == 50 * 320
    spectrum = np.abs(np.fft.rfft(kept * np.hanning(len(kept)))) ** 2
    bins = np.fft.rfftfreq(len(kept), 1 / 16000)
    assert spectrum[np.abs(bins - 1000) < 15].sum() / spectrum.sum() > 0.95
    assert rms(kept) == pytest.approx(rms(sine(1000, 48000)), rel=0.05)
    # 12 kHz would fold back to 4 kHz at 16 kHz without the low-pass.
    assert rms(folded) < rms(kept) / 10


def test_each_unmuted_speaker_is_sent_in_100_ms_datagrams_at_16_khz(worker):
    address, receive = worker
    room = room_with(address, speaker(1), speaker(2))
    before = time.time()

    play(room, {"s1": 1000, "s2": 3000}, ticks=10)
    got = receive()

    assert sorted((c.space_id, c.participant_id, len(c.pcm)) for c in got) == [
        (SPACE, 1, 1600),
        (SPACE, 1, 1600),
        (SPACE, 2, 1600),
        (SPACE, 2, 1600),
    ]
    for participant, tone in ((1, 1000.0), (2, 3000.0)):
        mine = sorted((c for c in got if c.participant_id == participant), key=lambda c: c.at)
        assert before - 0.01 <= mine[0].at <= mine[1].at <= time.time()
        heard = np.concatenate([c.pcm for c in mine])
        spectrum = np.abs(np.fft.rfft(heard * np.hanning(len(heard)))) ** 2
        bins = np.fft.rfftfreq(len(heard), 1 / 16000)
        assert spectrum[np.abs(bins - tone) < 20].sum() / spectrum.sum() > 0.9


def test_a_muted_speaker_sends_nothing(worker):
    address, receive = worker
    room = room_with(address, speaker(1, muted=True), speaker(2))

    play(room, {"s1": 1000, "s2": 3000}, ticks=10)

    assert {c.participant_id for c in receive()} == {2}


def test_a_speaker_who_mutes_mid_batch_has_what_they_said_sent_at_once(worker):
    address, receive = worker
    one = speaker(1)
    room = room_with(address, one)
    play(room, {"s1": 1000}, ticks=7)
    one.muted = True

    play(room, {"s1": 1000}, ticks=10)

    assert [len(c.pcm) for c in receive()] == [1600, 2 * 320]


def test_the_mixer_keeps_time_when_no_worker_listens(worker):
    _address, receive = worker
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"127.0.0.1:{closed.getsockname()[1]}"
    # A worker that never reads: its buffer fills and the rest is dropped.
    deaf = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    deaf.bind(("127.0.0.1", 0))
    for target in (nobody, f"127.0.0.1:{deaf.getsockname()[1]}", "no-such-host.invalid:1"):
        room = room_with(target, speaker(1), speaker(2))
        heard = []
        room.feed.publish = heard.append  # what the egress and listeners get
        room.egress = SimpleNamespace(feed=lambda payload, pts: None)

        play(room, {"s1": 1000, "s2": 3000}, ticks=200)

        assert len(heard) >= 195  # Opus may hold the first packets back
    deaf.close()
    assert receive() == []  # nothing went astray to the worker of another test


def test_no_address_no_feed(worker):
    room = room_with("", speaker(1))

    play(room, {"s1": 1000}, ticks=10)

    assert room.captions.sent == 0


def test_no_address_no_socket_no_resampling(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the tap did work with no feed address")

    monkeypatch.setattr(captions_feed, "Decimator", never)
    monkeypatch.setattr(captions_feed, "_shared_socket", never)
    room = room_with("", speaker(1))

    play(room, {"s1": 1000}, ticks=10)

    assert room.captions.sent == 0


def test_the_address_is_looked_up_once_per_process(worker, monkeypatch):
    address, _receive = worker
    calls = []
    lookup = socket.getaddrinfo

    def counted(*args, **kwargs):
        calls.append(args)
        return lookup(*args, **kwargs)

    monkeypatch.setattr(captions_feed, "_resolved", {})
    monkeypatch.setattr(socket, "getaddrinfo", counted)
    first, second = CaptionsTap(SPACE, address), CaptionsTap(SPACE + 1, address)

    assert len(calls) == 1
    assert first.address == second.address


def test_the_suite_sends_no_audio_to_a_running_worker(settings):
    # A developer's `make run` worker listens on the default address: tests stay off it.
    assert settings.CAPTIONS_FEED_ADDRESS == ""
