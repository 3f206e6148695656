"""RTP in: a small asyncio UDP receiver for Janus's `rtp_forward` (or any RTP Opus source).

Parses the RTP header (RFC 3550 §5.1), puts packets back in order within a small
window, and hands each payload with its timestamp to a stage's `feed`; a packet that
arrives after the window has moved on is dropped, and the stage fills what never
came with silence.
"""

import asyncio
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

REORDER_WINDOW = 4  # packets (80 ms of 20 ms packets) held while waiting for a late one
# A sequence jump this large is a restarted source, not loss.
RESET_JUMP = 1000

_HEADER = struct.Struct(">BBHII")


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False


def parse(data: bytes) -> RtpPacket | None:
    """An RTP packet's header and payload, or None if it is not RTP version 2."""
    if len(data) < 12:
        return None
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        return None
    start = 12 + 4 * (first & 0x0F)
    if first & 0x10:  # header extension
        if len(data) < start + 4:
            return None
        (words,) = struct.unpack_from(">H", data, start + 2)
        start += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding: its length is the last byte
        end -= data[-1]
    if end <= start:
        return None
    return RtpPacket(second & 0x7F, sequence, timestamp, ssrc, data[start:end], bool(second & 0x80))


class Reorder:
    """Puts packets back in sequence order, waiting at most `window` packets for one.
    `rebase` is called when another source (SSRC) takes over, after the old one's packets
    and before the new one's: its timestamps are on a clock of their own."""

    def __init__(
        self,
        deliver: Callable[[bytes, int], None],
        window: int = REORDER_WINDOW,
        *,
        rebase: Callable[[], None] | None = None,
    ):
        self.deliver = deliver
        self.rebase = rebase
        self.window = window
        self.next: int | None = None
        self.held: dict[int, RtpPacket] = {}
        self.ssrc: int | None = None
        self.late = 0
        self.lost = 0

    def push(self, packet: RtpPacket) -> None:
        if packet.ssrc != self.ssrc or self.next is None:
            self.flush()
            if self.ssrc is not None and packet.ssrc != self.ssrc and self.rebase is not None:
                self.rebase()
            self.ssrc, self.next = packet.ssrc, packet.sequence
        ahead = (packet.sequence - self.next) & 0xFFFF
        if ahead >= 0x8000:
            ahead -= 0x10000
        if abs(ahead) > RESET_JUMP:
            self.flush()
            self.next, ahead = packet.sequence, 0
        if ahead < 0 or packet.sequence in self.held:
            self.late += 1  # already played past it, or a duplicate
            return
        self.held[packet.sequence] = packet
        self._release()
        # Still a hole after `window` packets: give up on it.
        while self.held and (max(self._ahead(s) for s in self.held) >= self.window):
            self.lost += 1
            self.next = (self.next + 1) & 0xFFFF
            self._release()

    def _ahead(self, sequence: int) -> int:
        return (sequence - self.next) & 0xFFFF

    def _release(self) -> None:
        while self.next in self.held:
            packet = self.held.pop(self.next)
            self.deliver(packet.payload, packet.timestamp)
            self.next = (self.next + 1) & 0xFFFF

    def flush(self) -> None:
        """Deliver whatever is held, in order (the source stopped or changed)."""
        for sequence in sorted(self.held, key=self._ahead):
            packet = self.held[sequence]
            self.deliver(packet.payload, packet.timestamp)
        if self.held:
            self.next = (max(self.held, key=self._ahead) + 1) & 0xFFFF
        self.held.clear()


class RtpReceiver(asyncio.DatagramProtocol):
    """UDP in, `feed(payload, timestamp)` out, `rebase()` when the source changes (the
    stage's, e.g. `HlsEgress.rebase`). `payload_type` None takes any."""

    def __init__(
        self,
        feed: Callable[[bytes, int], None],
        *,
        payload_type: int | None = None,
        rebase: Callable[[], None] | None = None,
    ):
        self.reorder = Reorder(feed, rebase=rebase)
        self.payload_type = payload_type
        self.transport: asyncio.DatagramTransport | None = None
        self.invalid = 0

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        packet = parse(data)
        if packet is None or (
            self.payload_type is not None and packet.payload_type != self.payload_type
        ):
            self.invalid += 1
            return
        self.reorder.push(packet)

    def close(self) -> None:
        self.reorder.flush()
        if self.transport is not None:
            self.transport.close()


async def listen(
    feed: Callable[[bytes, int], None],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    payload_type: int | None = None,
    rebase: Callable[[], None] | None = None,
) -> tuple[RtpReceiver, tuple[str, int]]:
    """Start receiving RTP on (host, port); returns the receiver and the address bound."""
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(
        lambda: RtpReceiver(feed, payload_type=payload_type, rebase=rebase),
        local_addr=(host, port),
    )
    return receiver, transport.get_extra_info("sockname")[:2]
