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
