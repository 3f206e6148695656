"""Fragmented MP4 for Opus, written box by box (ISO/IEC 14496-12, and "Encapsulation of
Opus in ISO Base Media File Format" for the `Opus` sample entry and its `dOps` box).

Only what HLS needs: an init segment (ftyp + moov, no samples) and media segments
(moof + mdat) holding Opus packets as they came, one sample per packet, with the
decode time of the first one in `tfdt` so that the timeline runs on across segments.
"""

import struct

import numpy as np

TIMESCALE = 48000  # Opus always runs at 48 kHz in the container
TRACK_ID = 1
# libopus's encoder look-ahead at 48 kHz: what a decoder drops before the first sample.
LIBOPUS_PRE_SKIP = 312

_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def init_segment(*, channels: int = 1, pre_skip: int = LIBOPUS_PRE_SKIP) -> bytes:
    """ftyp + moov for one Opus track, 48 kHz, `channels` (1 or 2, mapping family 0)."""
    ftyp = box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6", b"cmfc", b"mp41", b"dash")
    mvhd = full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, TIMESCALE, 0),
        struct.pack(">IH", 0x10000, 0x100), bytes(10), _MATRIX, bytes(24),
        struct.pack(">I", TRACK_ID + 1),
    )  # fmt: skip
    tkhd = full_box(
        b"tkhd", 0, 3,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, TRACK_ID, 0, 0), bytes(8),
        struct.pack(">hhhH", 0, 1, 0x100, 0), _MATRIX, struct.pack(">II", 0, 0),
    )  # fmt: skip
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, 0, 0x55C4, 0))  # und
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I", 0), b"soun", bytes(12), b"SoundHandler\0")
    dops = box(b"dOps", struct.pack(">BBHIhB", 0, channels, pre_skip, TIMESCALE, 0, 0))
    opus = box(
        b"Opus",
        bytes(6), struct.pack(">H", 1),  # data_reference_index
        bytes(8), struct.pack(">HHHHI", channels, 16, 0, 0, TIMESCALE << 16),
        dops,
    )  # fmt: skip
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), opus),
        full_box(b"stts", 0, 0, struct.pack(">I", 0)),
        full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
        full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        full_box(b"stco", 0, 0, struct.pack(">I", 0)),
    )
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
    minf = box(b"minf", full_box(b"smhd", 0, 0, struct.pack(">hH", 0, 0)), dinf, stbl)
    trak = box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))
    trex = full_box(b"trex", 0, 0, struct.pack(">IIIII", TRACK_ID, 1, 0, 0, 0))
    return ftyp + box(b"moov", mvhd, trak, box(b"mvex", trex))


def media_segment(
    sequence: int, decode_time: int, payloads: list[bytes], durations: list[int]
) -> bytes:
    """moof + mdat: the packets as samples, the first one decoded at `decode_time` (in
    48 kHz samples since the stream began)."""
    count = len(payloads)
    table = np.empty((count, 2), dtype=">u4")
    table[:, 0] = durations
    table[:, 1] = [len(p) for p in payloads]
    mfhd = full_box(b"mfhd", 0, 0, struct.pack(">I", sequence))
    tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", TRACK_ID))  # default-base-is-moof
    tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", decode_time))
    # trun: data offset, then a duration and a size per sample.
    trun_size = 12 + 8 + 8 * count
    moof_size = 8 + len(mfhd) + 8 + len(tfhd) + len(tfdt) + trun_size
    trun = full_box(b"trun", 0, 0x000301, struct.pack(">Ii", count, moof_size + 8), table.tobytes())
    moof = box(b"moof", mfhd, box(b"traf", tfhd, tfdt, trun))
    assert len(moof) == moof_size
    return moof + box(b"mdat", *payloads)


# Clips: reading the egress's fragments back, and one plain MP4 with an edit list ---------


def edit_list(*, media_time: int, duration: int) -> bytes:
    """edts + elst: play `duration` samples starting `media_time` samples into the track,
    so a player drops the decoder pre-roll before and the rest of the last packet after."""
    elst = full_box(b"elst", 1, 0, struct.pack(">IQqhh", 1, duration, media_time, 1, 0))
    return box(b"edts", elst)


def fragment_samples(data: bytes) -> tuple[int, list[bytes], list[int]]:
    """One media segment (moof + mdat) as written by `media_segment`: the decode time of
    its first sample and each sample's payload and duration."""
    decode_time, sizes, durations, offset, base = 0, [], [], 0, 0
    for kind, start, end in _boxes(data, 0, len(data)):
        if kind == b"moof":
            base = start - 8
            for kind2, start2, end2 in _boxes(data, start, end):
                if kind2 != b"traf":
                    continue
                default_duration = default_size = 0
                for kind3, s, _e in _boxes(data, start2, end2):
                    version, flags = data[s], int.from_bytes(data[s + 1 : s + 4], "big")
                    if kind3 == b"tfhd":
                        at = s + 8 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
                        if flags & 0x8:
                            default_duration = struct.unpack_from(">I", data, at)[0]
                            at += 4
                        if flags & 0x10:
                            default_size = struct.unpack_from(">I", data, at)[0]
                    elif kind3 == b"tfdt":
                        fmt = ">Q" if version == 1 else ">I"
                        decode_time = struct.unpack_from(fmt, data, s + 4)[0]
                    elif kind3 == b"trun":
                        count = struct.unpack_from(">I", data, s + 4)[0]
                        at = s + 8
                        if flags & 0x1:
                            offset = struct.unpack_from(">i", data, at)[0]
                            at += 4
                        at += 4 if flags & 0x4 else 0
                        for _ in range(count):
                            duration, size = default_duration, default_size
                            if flags & 0x100:
                                duration = struct.unpack_from(">I", data, at)[0]
                                at += 4
                            if flags & 0x200:
                                size = struct.unpack_from(">I", data, at)[0]
                                at += 4
                            at += (4 if flags & 0x400 else 0) + (4 if flags & 0x800 else 0)
                            durations.append(duration)
                            sizes.append(size)
    at = base + offset
    payloads = []
    for size in sizes:
        payloads.append(data[at : at + size])
        at += size
    return decode_time, payloads, durations


def _boxes(data: bytes, start: int, end: int):
    """(kind, body start, body end) of each box between start and end."""
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        if size < 8 or start + size > end:
            return
        yield kind, start + 8, start + size
        start += size


def audio_file(
    payloads: list[bytes],
    durations: list[int],
    *,
    media_time: int,
    duration: int,
    channels: int = 1,
    pre_skip: int = 0,
) -> bytes:
    """A plain (not fragmented) MP4 of Opus packets that plays `duration` samples from
    `media_time` samples into them (an edit list): moov first, so it plays while it loads."""
    total = sum(durations)
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"mp41", b"Opus")
    mvhd = full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, TIMESCALE, duration),
        struct.pack(">IH", 0x10000, 0x100), bytes(10), _MATRIX, bytes(24),
        struct.pack(">I", TRACK_ID + 1),
    )  # fmt: skip
    tkhd = full_box(
        b"tkhd", 0, 3,
        struct.pack(">IIIII", 0, 0, TRACK_ID, 0, duration), bytes(8),
        struct.pack(">hhhH", 0, 1, 0x100, 0), _MATRIX, struct.pack(">II", 0, 0),
    )  # fmt: skip
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, total, 0x55C4, 0))
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I", 0), b"soun", bytes(12), b"SoundHandler\0")
    dops = box(b"dOps", struct.pack(">BBHIhB", 0, channels, pre_skip, TIMESCALE, 0, 0))
    opus = box(
        b"Opus",
        bytes(6), struct.pack(">H", 1),
        bytes(8), struct.pack(">HHHHI", channels, 16, 0, 0, TIMESCALE << 16),
        dops,
    )  # fmt: skip
    runs = []  # stts: (count, duration) runs
    for sample in durations:
        if runs and runs[-1][1] == sample:
            runs[-1][0] += 1
        else:
            runs.append([1, sample])
    stts = full_box(
        b"stts", 0, 0, struct.pack(">I", len(runs)), b"".join(struct.pack(">II", *r) for r in runs)
    )
    stsc = full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(payloads), 1))  # one chunk
    sizes = np.array([len(p) for p in payloads], dtype=">u4")
    stsz = full_box(b"stsz", 0, 0, struct.pack(">II", 0, len(payloads)), sizes.tobytes())

    def moov(chunk_offset: int) -> bytes:
        stco = full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset))
        stbl = box(
            b"stbl", full_box(b"stsd", 0, 0, struct.pack(">I", 1), opus), stts, stsc, stsz, stco
        )
        dref = full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))
        minf = box(
            b"minf", full_box(b"smhd", 0, 0, struct.pack(">hH", 0, 0)), box(b"dinf", dref), stbl
        )
        edts = edit_list(media_time=media_time, duration=duration)
        trak = box(b"trak", tkhd, edts, box(b"mdia", mdhd, hdlr, minf))
        return box(b"moov", mvhd, trak)

    head = len(ftyp) + len(moov(0)) + 8  # the mdat's header
    return ftyp + moov(head) + box(b"mdat", *payloads)
