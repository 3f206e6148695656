"""The embedded media server: aiortc peer connections, one mixer per live Space.

Runs in its own asyncio process (`manage.py runmedia`), never in Daphne's loop.
Each speaker's Opus track is decoded into an `InputBuffer`; every 20 ms the room's
clock takes one frame per speaker, mixes, and encodes twice over: the room mix
once for all listeners (every listener's sender packs the same Opus packet), and
one mix-minus-self per speaker. Django decides who may publish and passes that
decision in each offer; this process only enforces it.
"""

import asyncio
import fractions
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiortc
import av
import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import SessionDescription
from django.conf import settings

from mediaserver.base import ListenersFull, MediaError
from mediaserver.captions_feed import CaptionsTap
from mediaserver.egress.hls import HlsEgress
from mediaserver.embedded.mixer import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    InputBuffer,
    SpeakingDetector,
    level_dbfs,
    mix,
)

logger = logging.getLogger(__name__)

TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
TICK = FRAME_SAMPLES / SAMPLE_RATE
MAX_SDP_BYTES = 32 * 1024
BITRATE = 32000
REPEAT_SPEAKING_TICKS = 100  # 2 s
# A mute command can overtake the offer it concerns; it is remembered this long (never
# longer, so that a command lost in the past cannot overrule what Django says now).
RECENT_MUTE_SECONDS = 10.0
# A connection whose browser never completes ICE is let go after this long.
CONNECT_DEADLINE_SECONDS = 30.0
# How much of each new measure of a room's clock lateness goes into its running average
# (about the last 100 ticks, 2 s, count: a busy moment is not saturation).
LATENESS_WEIGHT = 0.01

SpeakingCallback = Callable[[int, list[int]], Awaitable[None]]
# Makes a room's egress (the room mix as HLS) from its Space's id; None: no egress.
EgressFactory = Callable[[int], HlsEgress]


class OpusEncoder:
    """Mono Opus at 32 kbit/s, one packet per 20 ms frame, timestamps on the room's clock."""

    def __init__(self):
        self.codec = av.CodecContext.create("libopus", "w")
        self.codec.bit_rate = BITRATE
        self.codec.format = "s16"
        self.codec.layout = "mono"
        self.codec.sample_rate = SAMPLE_RATE
        self.codec.time_base = TIME_BASE
        self.codec.options = {"application": "voip"}

    def encode(self, samples: np.ndarray, pts: int) -> av.Packet | None:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        packets = self.codec.encode(frame)
        if not packets:
            return None
        packet = packets[-1]
        # The RTP timestamp follows the room's clock, whatever delay the encoder reports.
        packet.pts = pts
        packet.time_base = TIME_BASE
        return packet


class Feed:
    """The latest encoded packet, handed to every track that waits for it."""

    def __init__(self):
        self.waiting: list[asyncio.Future] = []

    async def next(self) -> av.Packet:
        # One future per waiting track (not one shared, shielded future): a track that is
        # stopped cancels only its own, and publishing costs one set_result per listener.
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        return await future

    def publish(self, packet: av.Packet) -> None:
        waiting, self.waiting = self.waiting, []
        for future in waiting:
            if not future.done():
                future.set_result(packet)


class ArrivalOrderBuffer:
    """Stands in for aiortc's audio receive buffer, which holds every frame until four
    more have arrived (80 ms) and stalls for 16 packets after a loss. Each Opus packet is
    a whole frame and the mixer's InputBuffer absorbs jitter, so frames go on as they
    arrive; one that comes after a newer one is too late to play and is dropped."""

    capacity = 16

    def __init__(self):
        self.last: int | None = None

    def add(self, packet) -> tuple[bool, JitterFrame | None]:
        if self.last is not None:
            ahead = (packet.sequence_number - self.last) % 65536
            if ahead == 0 or ahead >= 32768:
                return False, None  # a duplicate, or older than what already went on
        self.last = packet.sequence_number
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)


# aiortc has no setting for its receive buffer: each RTCRtpReceiver keeps it in this
# (name-mangled) attribute and reads it on every packet. If aiortc renames it, setting it
# does nothing and every speaker is ~250 ms late again: the server says so at start-up
# (`jitter_patch_point_ok`), and tests/mediaserver/test_jitter.py fails.
JITTER_BUFFER_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"


class _OpenTransport:
    """Just enough of an RTCDtlsTransport to build a receiver and look inside it."""

    state = "new"


def jitter_patch_point_ok() -> bool:
    """Whether a fresh audio receiver keeps aiortc's jitter buffer where we replace it."""
    try:
        receiver = RTCRtpReceiver("audio", _OpenTransport())
    except Exception:
        return False
    return isinstance(getattr(receiver, JITTER_BUFFER_ATTRIBUTE, None), JitterBuffer)


def use_arrival_order_buffer(receiver: RTCRtpReceiver) -> None:
    """Replace a speaker's receive buffer with ours (see ArrivalOrderBuffer)."""
    setattr(receiver, JITTER_BUFFER_ATTRIBUTE, ArrivalOrderBuffer())


class FeedTrack(MediaStreamTrack):
    """An outgoing audio track of ready-made Opus packets: aiortc packs, never re-encodes."""

    kind = "audio"

    def __init__(self, feed: Feed):
        super().__init__()
        self.feed = feed

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        return await self.feed.next()


@dataclass(eq=False)
class Session:
    """One browser's peer connection: a listener's, or a speaker's with its microphone."""

    id: str
    participant_id: int
    publish: bool
    pc: RTCPeerConnection
    muted: bool = True
    buffer: InputBuffer = field(default_factory=InputBuffer)
    feed: Feed = field(default_factory=Feed)
    encoder: OpusEncoder | None = None
    pump: asyncio.Task | None = None
    resampler: av.AudioResampler | None = None
    # Hung up or removed while its answer was still being made.
    withdrawn: bool = False
    deadline: asyncio.TimerHandle | None = None

    def take(self, frame: av.AudioFrame) -> None:
        """Decoded microphone audio in, as 48 kHz mono samples."""
        if self.resampler is None:
            self.resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for out in self.resampler.resample(frame):
            self.buffer.push(out.to_ndarray().reshape(-1).copy())


class Room:
    """A live Space's audio: its sessions and its 20 ms clock."""

    def __init__(
        self,
        space_id: int,
        on_speaking: SpeakingCallback | None,
        make_egress: EgressFactory | None = None,
    ):
        self.space_id = space_id
        self.on_speaking = on_speaking
        self.make_egress = make_egress
        self.egress: HlsEgress | None = None
        self.sessions: dict[str, Session] = {}
        # Sessions whose answer is being made: not in the room yet, but it must stay open.
        self.offering: dict[str, Session] = {}
        self.feed = Feed()
        self.encoder = OpusEncoder()
        self.detector = SpeakingDetector()
        self.captions = CaptionsTap(space_id)
        self.pts = 0
        self.clock: asyncio.Task | None = None
        self.announcing: set[asyncio.Task] = set()
        # How late the 20 ms clock wakes, on average (seconds): the process is saturated
        # when its rooms cannot keep time.
        self.lateness = 0.0

    @property
    def speakers(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.publish]

    def listeners(self, *, besides: str = "") -> int:
        """WebRTC listener connections here, up or being answered (`besides` one session)."""
        return sum(
            1
            for s in (*self.sessions.values(), *self.offering.values())
            if not s.publish and s.id != besides
        )

    def start(self) -> None:
        if self.clock is None:
            if self.make_egress is not None:
                try:
                    self.egress = self.make_egress(self.space_id)
                    self.egress.start()
                except Exception:
                    logger.exception("No egress for the room of Space %s", self.space_id)
                    self.egress = None
            self.clock = asyncio.create_task(self._run_clock(), name=f"room-{self.space_id}")

    async def _run_clock(self) -> None:
        """Tick every 20 ms against the loop's clock; after a stall, start afresh rather
        than bursting to catch up."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            late = max(loop.time() - due, 0.0)
            self.lateness += LATENESS_WEIGHT * (late - self.lateness)
            try:
                self.tick()
            except Exception:
                logger.exception("Mixer tick failed in room %s", self.space_id)
            due += TICK
            delay = due - loop.time()
            if delay < -5 * TICK:
                due = loop.time()
                delay = 0
            await asyncio.sleep(max(delay, 0))

    def tick(self) -> None:
        """Mix one frame: the room mix for listeners, mix-minus-self for each speaker."""
        frames, levels = {}, {}
        speakers = self.speakers
        for session in speakers:
            samples = session.buffer.pop()
            if samples is None or session.muted:
                continue  # late, lost or muted: silent this tick
            frames[session.id] = samples
            self.captions.add(session.participant_id, samples, self.pts)
            levels[session.participant_id] = max(
                levels.get(session.participant_id, float("-inf")), level_dbfs(samples)
            )
        self.captions.end_tick(self.pts)
        room_mix, minus = mix(frames)
        pts, self.pts = self.pts, self.pts + FRAME_SAMPLES
        if self.egress is not None or len(self.sessions) > len(speakers):
            packet = self.encoder.encode(room_mix, pts)
            if packet is not None:
                self.feed.publish(packet)
                if self.egress is not None:
                    self.egress.feed(bytes(packet), pts)
        for session in speakers:
            packet = session.encoder.encode(minus.get(session.id, room_mix), pts)
            if packet is not None:
                session.feed.publish(packet)
        unmuted = {s.participant_id for s in speakers if not s.muted}
        changed = self.detector.update(levels, unmuted)
        # Pages that opened since the last change learn who speaks from the periodic repeat.
        repeat = self.detector.speaking and self.pts % (REPEAT_SPEAKING_TICKS * FRAME_SAMPLES) == 0
        if (changed or repeat) and self.on_speaking is not None:
            speaking = sorted(self.detector.speaking)
            task = asyncio.create_task(self.on_speaking(self.space_id, speaking))
            self.announcing.add(task)
            task.add_done_callback(self.announcing.discard)

    async def close(self, *, ended: bool = False) -> None:
        """Hang up on everyone. `ended`: the Space ended, and so does its HLS stream
        (ENDLIST, egress_closed); else the stream is suspended until a room comes back."""
        if self.clock is not None:
            self.clock.cancel()
        await asyncio.gather(*(close_session(s) for s in list(self.sessions.values())))
        self.sessions.clear()
        if self.egress is not None:
            await self.egress.close(ended=ended)


async def close_session(session: Session) -> None:
    if session.deadline is not None:
        session.deadline.cancel()
    if session.pump is not None:
        session.pump.cancel()
    await session.pc.close()


def _forget_offer(room: Room, session: Session) -> None:
    if room.offering.get(session.id) is session:
        del room.offering[session.id]


def _check_offer(sdp) -> None:
    """Refuse an offer that is not an SDP offer with an audio section we can answer."""
    if not isinstance(sdp, str) or not sdp.strip() or len(sdp) > MAX_SDP_BYTES:
        raise MediaError("This offer is not a valid session description.", "bad_sdp")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception:
        raise MediaError("This offer is not a valid session description.", "bad_sdp") from None
    audio = [m for m in parsed.media if m.kind == "audio"]
    if not audio:
        raise MediaError("The offer has no audio.", "bad_sdp")
    if not any(codec.mimeType.lower() == "audio/opus" for m in audio for codec in m.rtp.codecs):
        raise MediaError("The browser offered no Opus audio.", "bad_sdp")
    if not all(m.ice.usernameFragment and m.dtls for m in audio):
        raise MediaError("The offer has no ICE or DTLS parameters.", "bad_sdp")


class MediaServer:
    """Every live Space's room in this process, and the peer connections in them."""

    def __init__(
        self,
        *,
        on_speaking: SpeakingCallback | None = None,
        ice_servers: list | None = None,
        make_egress: EgressFactory | None = HlsEgress,
        listener_cap: int | None = None,
        max_sessions: int | None = None,
        max_lateness: float | None = None,
    ):
        self.on_speaking = on_speaking
        # Past these, new listeners are sent to HLS (docs/media.md, "Listening over HLS").
        self.listener_cap = settings.WEBRTC_LISTENER_CAP if listener_cap is None else listener_cap
        self.max_sessions = settings.MEDIA_MAX_SESSIONS if max_sessions is None else max_sessions
        self.max_lateness = settings.MEDIA_MAX_LATENESS if max_lateness is None else max_lateness
        self.make_egress = make_egress
        self.ice_servers = [RTCIceServer(**server) for server in ice_servers or []]
        self.rooms: dict[int, Room] = {}
        # (space, participant) → (muted, when): recent mute commands, see RECENT_MUTE_SECONDS.
        self.recent_mutes: dict[tuple[int, int], tuple[bool, float]] = {}
        opus = [
            c
            for c in RTCRtpSender.getCapabilities("audio").codecs
            if c.mimeType.lower() == "audio/opus"
        ]
        self.codecs = opus
        if not jitter_patch_point_ok():
            logger.error(
                "aiortc %s no longer keeps its audio jitter buffer in %s: speakers will be "
                "delayed by about 250 ms until mediaserver/embedded/server.py is updated",
                aiortc.__version__,
                JITTER_BUFFER_ATTRIBUTE,
            )

    def saturated(self, *, besides: str = "") -> bool:
        """Whether this process has no room for another listener: too many connections
        in all (`besides` one session: a listener offering again replaces its own), or a
        room's 20 ms clock running late on average (the CPU is spent)."""
        sessions = sum(
            1
            for r in self.rooms.values()
            for s in (*r.sessions.values(), *r.offering.values())
            if not besides or s.id != besides
        )
        return sessions >= self.max_sessions or any(
            room.lateness > self.max_lateness for room in self.rooms.values()
        )

    def _admit_listener(self, space_id: int, session: str) -> None:
        """Refuse a new WebRTC listener past the Space's cap or on a saturated server
        (ListenersFull: the page goes to HLS). A session offering again keeps its place."""
        room = self.rooms.get(space_id)
        listeners = room.listeners(besides=session) if room is not None else 0
        if listeners >= self.listener_cap:
            raise ListenersFull("cap")
        if self.saturated(besides=session):
            raise ListenersFull("saturated")

    def room(self, space_id: int) -> Room:
        room = self.rooms.get(space_id)
        if room is None:
            room = self.rooms[space_id] = Room(space_id, self.on_speaking, self.make_egress)
        return room

    async def offer(
        self,
        *,
        space_id: int,
        participant_id: int,
        session: str,
        sdp: str,
        publish: bool,
        muted: bool = True,
    ) -> str:
        """Answer a browser's offer: a speaker sends and hears the others, a listener only
        hears the room. A listener's answer is send-only, so nothing it sends is used."""
        _check_offer(sdp)
        if not publish:
            self._admit_listener(space_id, session)
        room = self.room(space_id)
        old = room.sessions.pop(session, None)
        if old is not None:
            await close_session(old)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        current = Session(id=session, participant_id=participant_id, publish=publish, pc=pc)
        current.muted = self._recent_mute(space_id, participant_id, muted)
        previous = room.offering.get(session)
        if previous is not None:
            previous.withdrawn = True
        room.offering[session] = current
        try:
            answer = await self._answer(room, current, sdp)
            # The page hung up, the person was removed or the Space ended meanwhile.
            if current.withdrawn or self.rooms.get(space_id) is not room:
                raise MediaError("This connection was closed.", "session_closed")
        except BaseException:
            await close_session(current)
            _forget_offer(room, current)
            await self._close_if_empty(room)
            raise
        _forget_offer(room, current)
        current.muted = self._recent_mute(space_id, participant_id, current.muted)
        room.sessions[session] = current
        room.start()
        current.deadline = asyncio.get_running_loop().call_later(
            CONNECT_DEADLINE_SECONDS, self._expire, room, current
        )
        return answer

    def _expire(self, room: Room, session: Session) -> None:
        """Let go of a connection that never came up (its page went away before ICE)."""
        session.deadline = None
        if session.pc.connectionState != "connected":
            task = asyncio.ensure_future(self._drop(room, session))
            room.announcing.add(task)
            task.add_done_callback(room.announcing.discard)

    def _recent_mute(self, space_id: int, participant_id: int, default: bool) -> bool:
        now = time.monotonic()
        for key, (_muted, at) in list(self.recent_mutes.items()):
            if now - at > RECENT_MUTE_SECONDS:
                del self.recent_mutes[key]
        muted, _at = self.recent_mutes.get((space_id, participant_id), (default, now))
        return muted

    async def _answer(self, room: Room, current: Session, sdp: str) -> str:
        pc, publish = current.pc, current.publish

        @pc.on("track")
        def on_track(track):
            if publish and track.kind == "audio" and current.pump is None:
                current.pump = asyncio.create_task(self._pump(current, track))

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("failed", "closed"):
                await self._drop(room, current)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            transceiver = next(t for t in pc.getTransceivers() if t.kind == "audio")
            transceiver.setCodecPreferences(self.codecs)
            if publish:
                use_arrival_order_buffer(transceiver.receiver)
                current.encoder = OpusEncoder()
                transceiver.sender.replaceTrack(FeedTrack(current.feed))
                transceiver.direction = "sendrecv"
            else:
                transceiver.sender.replaceTrack(FeedTrack(room.feed))
                transceiver.direction = "sendonly"
            for extra in pc.getTransceivers():
                if extra is not transceiver:
                    extra.direction = "inactive"
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            logger.info("Refused an offer for Space %s: %s", room.space_id, exc)
            raise MediaError("This offer could not be answered.", "bad_sdp") from None
        return pc.localDescription.sdp

    async def _pump(self, session: Session, track) -> None:
        """Feed a speaker's decoded audio into their buffer until the track ends."""
        try:
            while True:
                session.take(await track.recv())
        except MediaStreamError:
            pass
        except Exception:
            logger.exception("Audio from session %s failed", session.id)

    async def _drop(self, room: Room, session: Session) -> None:
        if room.sessions.get(session.id) is session:
            del room.sessions[session.id]
        await close_session(session)
        await self._close_if_empty(room)

    async def _close_if_empty(self, room: Room) -> None:
        if not room.sessions and not room.offering and self.rooms.get(room.space_id) is room:
            del self.rooms[room.space_id]
            await room.close()

    async def session_close(self, *, space_id: int, session: str) -> None:
        """Hang up one browser's connection (its page closed or it starts afresh)."""
        room = self.rooms.get(space_id)
        if room is None:
            return
        if session in room.offering:
            room.offering[session].withdrawn = True
        if session in room.sessions:
            await self._drop(room, room.sessions[session])

    async def mute(self, *, space_id: int, participant_id: int, muted: bool) -> None:
        """Drop (or let through again) a speaker's audio, here at the server."""
        self.recent_mutes[(space_id, participant_id)] = (muted, time.monotonic())
        room = self.rooms.get(space_id)
        sessions = [*room.sessions.values(), *room.offering.values()] if room else []
        for session in sessions:
            if session.participant_id == participant_id:
                session.muted = muted

    async def remove(
        self, *, space_id: int, participant_id: int, publishing_only: bool = False
    ) -> None:
        """Cut a participant's media at once: all of it, or only their microphone."""
        # Back on the stage later, they start muted as Django says.
        self.recent_mutes.pop((space_id, participant_id), None)
        room = self.rooms.get(space_id)
        if room is None:
            return
        for session in room.offering.values():
            if session.participant_id == participant_id and (
                session.publish or not publishing_only
            ):
                session.withdrawn = True
        for session in list(room.sessions.values()):
            if session.participant_id == participant_id and (
                session.publish or not publishing_only
            ):
                await self._drop(room, session)

    async def close_room(self, *, space_id: int) -> None:
        """The Space ended: hang up on everyone in it."""
        room = self.rooms.pop(space_id, None)
        if room is not None:
            await room.close(ended=True)
        elif self.make_egress is not None:
            # Its room had already emptied (or this server restarted): end its stream.
            try:
                egress = self.make_egress(space_id)
                egress.start()
                await egress.close(ended=True)
            except Exception:
                logger.exception("Could not end the HLS stream of Space %s", space_id)

    async def close(self) -> None:
        """This server stops: rooms hang up; their streams carry on after a restart."""
        for space_id in list(self.rooms):
            # A room may empty (and close itself) while another one closes.
            room = self.rooms.pop(space_id, None)
            if room is not None:
                await room.close()
