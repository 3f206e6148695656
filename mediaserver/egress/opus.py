"""What an Opus packet's first byte (the TOC, RFC 6716 §3.1) says about its length."""

# Samples per frame at 48 kHz for each of the 32 configurations: SILK 10/20/40/60 ms,
# hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
_FRAME = (
    [480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4
)  # fmt: skip
# Samples per packet for TOC codes 0 (one frame), 1 and 2 (two frames); code 3 says its
# frame count in the next byte.
_SAMPLES = [_FRAME[toc >> 3] * (1, 2, 2, 0)[toc & 3] for toc in range(256)]


def packet_samples(payload: bytes) -> int:
    """How many 48 kHz samples an Opus packet decodes to (0 if it is not one)."""
    if not payload:
        return 0
    toc = payload[0]
    samples = _SAMPLES[toc]
    if samples:
        return samples
    if len(payload) < 2:
        return 0
    return _FRAME[toc >> 3] * (payload[1] & 0x3F)


def silence(channels: int = 1) -> bytes:
    """A 20 ms packet with a TOC byte and no frame (CELT fullband, code 0): decoders
    play it as a lost frame, which after silence is silence and after speech fades out."""
    return bytes([(31 << 3) | (4 if channels == 2 else 0)])


SILENCE_SAMPLES = 960
