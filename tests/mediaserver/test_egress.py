"""The egress stage: Opus packets in, HLS in storage out, decoded back to the tone."""

import asyncio
import socket
import struct
import threading
import time

import pytest
from django.core.files.storage import FileSystemStorage

from mediaserver import signals
from mediaserver.egress import fmp4, hls, rtp
from mediaserver.egress import storage as egress_storage
from mediaserver.egress.hls import HlsEgress
from tests.mediaserver.hls import decode, opus_packets, parse_m3u8, peak_frequency, until

pytestmark = pytest.mark.asyncio

TONE = 660.0
SPACE = 42


def read(name: str, storage=None) -> bytes:
    with (storage or egress_storage()).open(f"hls/{SPACE}/{name}") as f:
        return f.read()


def playlist(name: str, storage=None):
    return parse_m3u8(read(name, storage).decode())


@pytest.fixture
def received():
    """What the egress signals say."""
    events = []

    async def failed(sender, space_id, reason, **kwargs):
        events.append(("failed", space_id, reason))

    async def closed(sender, space_id, segments, duration, **kwargs):
        events.append(("closed", space_id, segments, duration))

    signals.egress_failed.connect(failed)
    signals.egress_closed.connect(closed)
    yield events
    signals.egress_failed.disconnect(failed)
    signals.egress_closed.disconnect(closed)


def assert_continuous(decoded, seconds: float):
    """Every decoded frame starts where the one before ended, and the whole lasts
    what was fed (less the encoder's pre-skip that the decoder drops)."""
    expected = seconds * 48000 - fmp4.LIBOPUS_PRE_SKIP
    assert abs(len(decoded.samples) - expected) <= 960, (len(decoded.samples), expected)
    for before, size, after in zip(decoded.pts, decoded.sizes, decoded.pts[1:], strict=False):
        assert after == before + size, (before, size, after)


async def test_it_packages_a_tone_as_hls_without_reencoding(received):
    egress = HlsEgress(SPACE, segment_seconds=2)
    egress.start()
    packets = opus_packets(TONE, 15.0)
    for payload, timestamp in packets:
        egress.feed(payload, timestamp)
    await until(lambda: egress.stats.written == 7)

    live = playlist("live.m3u8")
    assert [uri for _d, uri, _x in live.segments] == [f"seg-{n:06d}.m4s" for n in range(1, 7)]
    assert live.sequence == 1
    assert not live.ended
    index = playlist("index.m3u8")
    assert index.event
    assert not index.ended
    assert [d for d, _u, _x in index.segments] == [2.0] * 7
    assert index.target >= 2

    # init + one segment is a file that plays: two seconds of the tone.
    one = decode(read("init.mp4") + read("seg-000000.m4s"))
    assert abs(peak_frequency(one.samples) - TONE) <= 10
    assert abs(len(one.samples) - (96000 - fmp4.LIBOPUS_PRE_SKIP)) <= 960
    # The packets are in the segments as they came: no re-encoding.
    assert packets[0][0] in read("seg-000000.m4s")
    assert packets[150][0] in read("seg-000001.m4s")

    await egress.close()
    index = playlist("index.m3u8")
    assert index.ended
    assert index.segments[-1][:2] == (1.0, "seg-000007.m4s")
    assert abs(index.duration - 15.0) < 1e-6
    live = playlist("live.m3u8")
    assert live.ended
    assert live.sequence == 2
    assert received == [("closed", SPACE, 8, 15.0)]

    everything = decode(read("init.mp4") + b"".join(read(uri) for _d, uri, _x in index.segments))
    assert_continuous(everything, 15.0)
    assert abs(peak_frequency(everything.samples) - TONE) <= 10


async def test_lost_packets_become_silence_and_late_ones_are_dropped():
    egress = HlsEgress(SPACE, segment_seconds=2)
    egress.start()
    packets = opus_packets(TONE, 4.0)
    kept = [p for i, p in enumerate(packets) if i not in (10, 11, 12, 120)]
    for payload, timestamp in kept[:50]:
        egress.feed(payload, timestamp)
    egress.feed(*packets[5])  # late: already packaged past it
    for payload, timestamp in kept[50:]:
        egress.feed(payload, timestamp)
    await egress.close()

    assert egress.stats.filled == 4
    assert egress.stats.late == 1
    index = playlist("index.m3u8")
    assert [d for d, _u, _x in index.segments] == [2.0, 2.0]
    everything = decode(read("init.mp4") + b"".join(read(uri) for _d, uri, _x in index.segments))
    assert_continuous(everything, 4.0)


def rtp_packet(payload: bytes, sequence: int, timestamp: int, *, ssrc=0x1234, extra=False) -> bytes:
    first = 0x80
    header = b""
    if extra:  # one CSRC and a header extension, as a forwarder might add
        first |= 0x10 | 1
        header = struct.pack(">I", 99) + struct.pack(">HH", 0xBEDE, 1) + b"\x10\xff\x00\x00"
    return struct.pack(">BBHII", first, 111, sequence & 0xFFFF, timestamp, ssrc) + header + payload


async def test_rtp_in_over_udp_gives_the_same_stream_even_out_of_order(tmp_path):
    packets = opus_packets(TONE, 5.0, start_ts=0xFFFFFFFF - 48000)  # the clock wraps
    direct_storage = FileSystemStorage(location=tmp_path / "direct")
    direct = HlsEgress(SPACE, segment_seconds=2, storage=direct_storage)
    direct.start()
    for payload, timestamp in packets:
        direct.feed(payload, timestamp)
    await direct.close()

    egress = HlsEgress(SPACE, segment_seconds=2)
    egress.start()
    receiver, address = await rtp.listen(egress.feed, "127.0.0.1", 0, payload_type=111)
    datagrams = [
        rtp_packet(payload, 65000 + i, timestamp, extra=i % 7 == 0)
        for i, (payload, timestamp) in enumerate(packets)
    ]
    for i in range(10, len(datagrams) - 3, 25):  # swap neighbours, and one three apart
        datagrams[i], datagrams[i + 1] = datagrams[i + 1], datagrams[i]
    datagrams[50], datagrams[53] = datagrams[53], datagrams[50]
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i, datagram in enumerate(datagrams):
        sender.sendto(datagram, address)
        if i % 10 == 9:
            await asyncio.sleep(0.005)
    sender.sendto(b"not rtp", address)
    sender.close()
    await until(
        lambda: (
            receiver.reorder.next == (65000 + len(datagrams) - 3) & 0xFFFF
            or egress.stats.packets >= len(datagrams) - 3
        )
    )
    await asyncio.sleep(0.05)
    receiver.close()
    await egress.close()

    assert receiver.invalid == 1
    assert receiver.reorder.late == 0
    assert egress.stats.late == 0
    assert egress.stats.filled == 0
    index = playlist("index.m3u8")
    assert index.ended
    assert [d for d, _u, _x in index.segments] == [2.0, 2.0, 1.0]
    for name in ["init.mp4", "seg-000000.m4s", "seg-000001.m4s", "seg-000002.m4s"]:
        assert read(name) == read(name, direct_storage), name
    everything = decode(read("init.mp4") + b"".join(read(uri) for _d, uri, _x in index.segments))
    assert_continuous(everything, 5.0)
    assert abs(peak_frequency(everything.samples) - TONE) <= 10


async def test_the_rtp_header_is_read_with_csrcs_extension_and_padding():
    payload = b"\xf8abc"
    packet = rtp.parse(rtp_packet(payload, 7, 123456, ssrc=5, extra=True))
    assert (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc) == (
        111,
        7,
        123456,
        5,
    )
    assert packet.payload == payload
    padded = bytearray(rtp_packet(payload + b"\x00\x00\x03", 8, 1))
    padded[0] |= 0x20
    assert rtp.parse(bytes(padded)).payload == payload
    assert rtp.parse(b"\x40" + bytes(20)) is None  # version 1
    assert rtp.parse(b"\x80\x6f") is None


async def test_reorder_gives_up_on_a_hole_after_its_window():
    out = []
    reorder = rtp.Reorder(lambda payload, ts: out.append(ts), window=3)
    for sequence in [1, 2, 4, 5, 6, 3, 7]:
        reorder.push(rtp.RtpPacket(111, sequence, sequence, 1, b"x"))
    assert out == [1, 2, 4, 5, 6, 7]  # 3 came after the window moved past it
    assert reorder.lost == 1
    assert reorder.late == 1


class FlakyStorage(FileSystemStorage):
    """A disk that fills up and is freed again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.broken = False

    def save(self, name, content, max_length=None):
        if self.broken:
            raise OSError(28, "No space left on device")
        return super().save(name, content, max_length)


async def test_a_failing_storage_never_stops_the_stage_and_is_told_once(tmp_path, received):
    storage = FlakyStorage(location=tmp_path / "flaky")
    egress = HlsEgress(SPACE, segment_seconds=2, storage=storage)
    egress.start()
    packets = iter(opus_packets(TONE, 16.0))

    async def segments(count):
        done = egress.stats.written + egress.stats.failed
        for _ in range(count * 100):
            egress.feed(*next(packets))
        await until(lambda: egress.stats.written + egress.stats.failed >= done + count)

    await segments(2)
    storage.broken = True
    await segments(3)
    await asyncio.sleep(0.05)
    assert [event[0] for event in received] == ["failed"]
    assert received[0][1] == SPACE
    assert "No space left" in received[0][2]
    storage.broken = False
    await segments(1)
    assert playlist("index.m3u8", storage).segments[-1][1:] == ("seg-000005.m4s", True)
    storage.broken = True  # a second streak is told again
    await segments(1)
    storage.broken = False
    await segments(1)
    await egress.close()

    assert [event[0] for event in received] == ["failed", "failed", "closed"]
    index = playlist("index.m3u8", storage)
    assert [(uri, disc) for _d, uri, disc in index.segments] == [
        ("seg-000000.m4s", False),
        ("seg-000001.m4s", False),
        ("seg-000005.m4s", True),
        ("seg-000007.m4s", True),
    ]
    assert index.ended
    assert received[-1] == ("closed", SPACE, 4, 8.0)


async def test_a_slow_storage_never_holds_up_feeding_and_drops_the_oldest(tmp_path):
    entered, gate = threading.Event(), threading.Event()

    class SlowStorage(FileSystemStorage):
        def save(self, name, content, max_length=None):
            entered.set()
            gate.wait(10)
            return super().save(name, content, max_length)

    storage = SlowStorage(location=tmp_path)
    egress = HlsEgress(SPACE, segment_seconds=2, storage=storage, queue_segments=2)
    egress.start()
    packets = opus_packets(TONE, 12.0)
    for payload, timestamp in packets[:100]:
        egress.feed(payload, timestamp)
    await until(entered.is_set)  # the writer is stuck saving segment 0
    started = time.perf_counter()
    for payload, timestamp in packets[100:]:
        egress.feed(payload, timestamp)
    assert time.perf_counter() - started < 0.5
    # Segments 1 to 5 came while 2 could wait: 1, 2 and 3 were dropped.
    assert egress.stats.dropped == 3
    gate.set()
    await egress.close()
    index = playlist("index.m3u8", storage)
    assert [(uri, disc) for _d, uri, disc in index.segments] == [
        ("seg-000000.m4s", False),
        ("seg-000001.m4s", True),
        ("seg-000002.m4s", False),
    ]


async def test_a_restart_continues_numbering_after_a_discontinuity(received):
    first = HlsEgress(SPACE, segment_seconds=2)
    first.start()
    for payload, timestamp in opus_packets(TONE, 4.0):
        first.feed(payload, timestamp)
    await until(lambda: first.stats.written == 2)
    # The media server dies here: no close, no ENDLIST.

    second = HlsEgress(SPACE, segment_seconds=2)
    second.start()
    for payload, timestamp in opus_packets(TONE, 4.0, start_ts=123456):
        second.feed(payload, timestamp)
    await second.close()

    index = playlist("index.m3u8")
    assert [(uri, disc) for _d, uri, disc in index.segments] == [
        ("seg-000000.m4s", False),
        ("seg-000001.m4s", False),
        ("seg-000002.m4s", True),
        ("seg-000003.m4s", False),
    ]
    assert index.ended
    assert received == [("closed", SPACE, 4, 8.0)]
    # The decode times run on across the restart.
    later = decode(read("init.mp4") + read("seg-000002.m4s"))
    assert later.pts[0] >= 4 * 48000 - fmp4.LIBOPUS_PRE_SKIP
    # The dates of the segments written before the restart are read back, not lost.
    assert None not in index.dates


async def test_each_segment_says_when_its_first_sample_was_mixed(tmp_path):
    """EXT-X-PROGRAM-DATE-TIME on every segment, in both playlists: what lines room
    events up with the audio for HLS listeners and in replays."""
    storage = FileSystemStorage(location=tmp_path)
    egress = HlsEgress(SPACE, segment_seconds=1, storage=storage)
    egress.start()
    began = time.time()
    packets = opus_packets(TONE, 3.0)
    for second in range(3):
        for payload, timestamp in packets[second * 50 : (second + 1) * 50]:
            egress.feed(payload, timestamp)
        await asyncio.sleep(0.3)  # a second of packets, fed 0.3 s after the one before
    await egress.close()

    index = playlist("index.m3u8", storage)
    assert len(index.dates) == 3
    assert all(abs(date - (began + 0.3 * n)) < 0.1 for n, date in enumerate(index.dates))
    live = playlist("live.m3u8", storage)
    assert live.dates == index.dates
    assert hls.parse_program_date_time(hls.program_date_time(1700000000.25)) == 1700000000.25


async def test_a_room_packages_its_mix_from_its_first_tick_to_its_close(settings, received):
    from mediaserver.embedded.server import Room

    settings.HLS_SEGMENT_SECONDS = 0.5
    room = Room(SPACE, None, HlsEgress)
    room.start()  # nobody listens over WebRTC: the mix is encoded for the egress alone
    await until(lambda: room.egress.stats.written >= 2)
    await room.close(ended=True)

    index = playlist("index.m3u8")
    assert index.ended
    assert index.segments[0][:2] == (0.5, "seg-000000.m4s")
    assert received == [("closed", SPACE, len(index.segments), pytest.approx(index.duration))]


async def test_the_storage_is_the_setting_or_the_default(settings, tmp_path):
    from django.core.files.storage import storages

    from mediaserver.egress import storage

    default = storage()
    assert (type(default), default.location) == (FileSystemStorage, settings.EGRESS_ROOT)
    assert settings.EGRESS_ROOT != settings.MEDIA_ROOT  # private: /media/ never serves it
    settings.STORAGES = {
        **settings.STORAGES,
        "hls": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.EGRESS_STORAGE = "hls"
    assert storage() is storages["hls"]
    settings.EGRESS_STORAGE = "django.core.files.storage.InMemoryStorage"
    assert type(storage()).__name__ == "InMemoryStorage"


async def test_a_room_that_empties_suspends_the_stream_and_the_space_end_closes_it(
    settings, received
):
    from mediaserver.embedded.server import MediaServer

    settings.HLS_SEGMENT_SECONDS = 0.5
    server = MediaServer()
    room = server.room(SPACE)
    room.start()
    await until(lambda: room.egress.stats.written >= 1)
    await server._close_if_empty(room)  # the last session left
    assert SPACE not in server.rooms
    suspended = playlist("index.m3u8")
    assert not suspended.ended
    assert received == []

    again = server.room(SPACE)  # someone connects again
    again.start()
    await until(lambda: again.egress.stats.written >= 1)
    await server._close_if_empty(again)
    await server.close_room(space_id=SPACE)  # the Space ends while no room is open

    index = playlist("index.m3u8")
    assert index.ended
    resumed = len(suspended.segments)
    assert index.segments[resumed][2]  # a discontinuity where the second room began
    assert received == [("closed", SPACE, len(index.segments), pytest.approx(index.duration))]
    await server.close_room(space_id=SPACE)  # told once
    assert len(received) == 1
    await server.close()


async def test_a_new_room_waits_for_the_one_still_closing(tmp_path):
    class SlowStorage(FileSystemStorage):
        def save(self, name, content, max_length=None):
            time.sleep(0.05)
            return super().save(name, content, max_length)

    storage = SlowStorage(location=tmp_path)
    packets = opus_packets(TONE, 3.0)
    first = HlsEgress(SPACE, segment_seconds=0.5, storage=storage)
    first.start()
    for payload, timestamp in packets[:100]:
        first.feed(payload, timestamp)
    closing = asyncio.ensure_future(first.close(ended=False))
    await asyncio.sleep(0)
    second = HlsEgress(SPACE, segment_seconds=0.5, storage=storage)
    second.start()  # while the first still writes its segments
    for payload, timestamp in packets[100:]:
        second.feed(payload, timestamp)
    await closing
    await second.close()

    index = playlist("index.m3u8", storage)
    names = [uri for _d, uri, _x in index.segments]
    assert names == [f"seg-{n:06d}.m4s" for n in range(6)]
    assert [disc for _d, _u, disc in index.segments] == [False] * 4 + [True, False]


async def test_a_jump_of_part_of_a_packet_still_counts_in_the_timeline():
    egress = HlsEgress(SPACE, segment_seconds=2)
    egress.start()
    packets = opus_packets(TONE, 3.0)
    for index, (payload, timestamp) in enumerate(packets):
        # From packet 100 (a segment boundary) on, the source's clock is 10 ms later.
        egress.feed(payload, timestamp + (480 if index >= 100 else 0))
    await egress.close()

    index = playlist("index.m3u8")
    assert [d for d, _u, _x in index.segments] == [2.0, 1.0]
    later = decode(read("init.mp4") + read("seg-000001.m4s"))
    assert later.pts[0] == 96480 + fmp4.LIBOPUS_PRE_SKIP  # FFmpeg counts the skipped start


async def test_the_discontinuity_sequence_never_goes_back_as_the_live_window_slides(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    egress = HlsEgress(SPACE, segment_seconds=2, storage=storage)
    breaks = {2, 7, 8}  # two in a row too
    seen: dict[str, int] = {}
    last_sequence = 0
    for number in range(16):
        egress.entries.append(
            hls._Entry(f"seg-{number:06d}.m4s", 2.0, discontinuity=number in breaks)
        )
        egress._save_playlists(ended=False)
        live = playlist("live.m3u8", storage)
        assert live.discontinuity_sequence >= last_sequence
        last_sequence = live.discontinuity_sequence
        # RFC 8216 §6.2.2: a segment's discontinuity sequence number is the playlist's
        # plus the discontinuity tags before it; it must not change between reloads.
        current = live.discontinuity_sequence
        for _d, uri, disc in live.segments:
            current += disc
            assert seen.setdefault(uri, current) == current, (number, uri)
    assert seen["seg-000015.m4s"] == len(breaks)
    index = playlist("index.m3u8", storage)
    assert [uri for _d, uri, disc in index.segments if disc] == [
        f"seg-{n:06d}.m4s" for n in sorted(breaks)
    ]


async def test_a_storage_that_never_returns_does_not_hang_close(tmp_path, monkeypatch, caplog):
    gate = threading.Event()
    errors = []

    class StuckStorage(FileSystemStorage):
        def save(self, name, content, max_length=None):
            gate.wait(10)
            return super().save(name, content, max_length)

    monkeypatch.setattr(hls, "CLOSE_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(threading, "excepthook", errors.append)
    egress = HlsEgress(SPACE, segment_seconds=2, storage=StuckStorage(location=tmp_path))

    async def room():  # on a loop of its own, that is closed when it returns
        egress.start()
        for payload, timestamp in opus_packets(TONE, 3.0):
            egress.feed(payload, timestamp)
        started = time.perf_counter()
        await egress.close()
        return time.perf_counter() - started

    waited = await asyncio.to_thread(asyncio.run, room())
    assert waited < 2
    assert "gave up" in caplog.text
    gate.set()  # the storage comes back after the loop closed
    await asyncio.to_thread(egress.thread.join, 10)
    assert not egress.thread.is_alive()
    assert errors == []


async def test_a_new_rtp_source_starts_a_new_timeline(tmp_path):
    egress = HlsEgress(SPACE, segment_seconds=2, storage=FileSystemStorage(location=tmp_path))
    egress.start()
    reorder = rtp.Reorder(egress.feed, rebase=egress.rebase)
    first = opus_packets(TONE, 2.0, start_ts=100000)
    # A new source (another SSRC) whose clock starts one second behind where the old
    # one was: neither late nor a gap to fill.
    second = opus_packets(TONE, 2.0, start_ts=100000 + 48000)
    for sequence, (payload, timestamp) in enumerate(first):
        reorder.push(rtp.RtpPacket(111, sequence, timestamp, 1, payload))
    for sequence, (payload, timestamp) in enumerate(second):
        reorder.push(rtp.RtpPacket(111, 5000 + sequence, timestamp, 2, payload))
    reorder.flush()
    await egress.close()

    assert egress.stats.late == 0
    assert egress.stats.filled == 0
    storage = egress.storage
    index = playlist("index.m3u8", storage)
    assert [(d, disc) for d, _u, disc in index.segments] == [(2.0, False), (2.0, False)]
    everything = decode(
        read("init.mp4", storage) + b"".join(read(uri, storage) for _d, uri, _x in index.segments)
    )
    assert_continuous(everything, 4.0)


async def test_the_rtp_receiver_tells_the_stage_of_a_new_source():
    fed, rebased = [], []
    receiver = rtp.RtpReceiver(
        lambda payload, ts: fed.append(ts), rebase=lambda: rebased.append(len(fed))
    )
    payload = b"\xf8abc"
    receiver.datagram_received(rtp_packet(payload, 1, 960, ssrc=7), None)
    receiver.datagram_received(rtp_packet(payload, 2, 1920, ssrc=7), None)
    assert rebased == []  # the first source is no change
    receiver.datagram_received(rtp_packet(payload, 40000, 5, ssrc=8), None)
    assert fed == [960, 1920, 5]
    assert rebased == [2]  # after the old source's packets, before the new one's


class WatchedStorage(FileSystemStorage):
    """A local disk that notes every delete and every moment a playlist is missing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deleted = []

    def delete(self, name):
        self.deleted.append(name)
        super().delete(name)


async def test_playlists_on_a_local_disk_are_replaced_atomically(tmp_path):
    """A reader (the live view, nginx) gets the old playlist or the new one, never none
    or half of one: a temporary file, then os.replace; nothing deleted, nothing left."""
    storage = WatchedStorage(location=tmp_path / "disk")
    egress = HlsEgress(SPACE, segment_seconds=2, storage=storage)
    egress.start()
    missing = []
    stop = threading.Event()

    def watch():
        path = storage.path(f"hls/{SPACE}/live.m3u8")
        while not stop.is_set():
            written = egress.stats.written  # (counted once both playlists are saved)
            try:
                with open(path, "rb") as f:
                    text = f.read()
                if not text.endswith(b"\n"):
                    missing.append("half")
            except FileNotFoundError:
                if written:
                    missing.append("gone")

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for payload, timestamp in opus_packets(TONE, 9.0):
            egress.feed(payload, timestamp)
        await until(lambda: egress.stats.written == 4)
        await egress.close()
    finally:
        stop.set()
        watcher.join()

    assert storage.deleted == []
    assert missing == []
    assert playlist("live.m3u8", storage).ended
    assert sorted(p.name for p in (tmp_path / "disk" / "hls" / str(SPACE)).iterdir()) == [
        "index.m3u8",
        "init.mp4",
        "live.m3u8",
        *[f"seg-{n:06d}.m4s" for n in range(5)],
    ]
    assert (
        oct((tmp_path / "disk" / "hls" / str(SPACE) / "live.m3u8").stat().st_mode & 0o777)
        == "0o644"
    )
