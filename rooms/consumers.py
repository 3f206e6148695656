"""ws/spaces/<code>/: one socket per open Space page; frames become service calls."""

import json
import secrets
import time
import uuid

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from core.consumers import FanOutEventsMixin, SocketMixin
from core.errors import NotAllowed, error_code, error_message
from core.ratelimit import slot_claim, slot_refresh, slot_release
from mediaserver.base import MediaError
from mediaserver.ice import ice_servers
from mediaserver.signalling import Signalling
from rooms import selectors, services
from rooms.errors import SpaceError
from rooms.identity import anon_id
from rooms.models import Space
from rooms.reactions import coalescer

MAX_FRAME_BYTES = 4096
# An SDP offer with its ICE candidates runs to a few kilobytes.
MAX_SIGNALLING_BYTES = 32 * 1024
SIGNALLING_FRAMES = frozenset({"media.offer"})
MAX_STRIKES = 10
CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_ENDED = 4410
CLOSE_RATE_LIMITED = 4429
# An anonymous socket's place in its address's allowance lapses this long after its last
# heartbeat (pages ping every 10 s; background tabs may be throttled to once a minute).
SLOT_TTL = 120
# What ends the wait of a socket to a scheduled Space (forwarded, then the socket closes).
WAIT_OVER = {"space.started": 1000, "space.cancelled": CLOSE_ENDED, "space.not_held": CLOSE_ENDED}

# Why a listener is sent to HLS (the media server's `listeners_full` reasons).
HLS_REASONS = frozenset({"cap", "saturated"})

# Frame type → (service call, which bucket). Handlers take (consumer, frame).
ACTIONS = {}


def action(name, bucket="general"):
    def register(handler):
        ACTIONS[name] = (handler, bucket)
        return handler

    return register


class SpaceConsumer(SocketMixin, FanOutEventsMixin, AsyncJsonWebsocketConsumer):
    fan_out_events = frozenset({"space.event", "media.speaking"})
    # Per person (see SocketMixin), as (frames, seconds). Every frame counts as "general",
    # refused ones too; reactions, hands and media also count in their own bucket.
    rate_limits = {
        "connect": (30, 60),
        "general": (20, 2),
        "reaction": (15, 3),
        "hand": (3, 15),
        # Offers (each after a media.ice) come on Listen, on joining the stage and on
        # reconnecting; no faster.
        "media": (12, 12),
    }
    space = None
    participant = None
    waiting = False
    in_group = False
    anon_id = ""
    cookieless = False
    slot = None
    media = None

    async def connect(self):
        """Join the Space's group, then take a seat and send the room's snapshot (or, before
        the start, wait in the group)."""
        # Accept first, so that a refusal can say why in an error frame.
        await self.accept()
        self.strikes = 0
        self.holder = uuid.uuid4().hex
        code = self.scope["url_route"]["kwargs"]["code"]
        try:
            self.space = await database_sync_to_async(selectors.space_get)(code)
        except Http404:
            await self._refuse(
                "space_not_found", _("There is no Space at this link."), CLOSE_NOT_FOUND
            )
            return
        self.media = Signalling(space_id=self.space.pk)
        await self._identify()
        if not await self.allowed("connect"):
            message = _("Too many connections: wait a minute and reload the page.")
            await self._refuse("rate_limited", message, CLOSE_RATE_LIMITED)
            return
        if not self._signed_in:
            self.slot = await self._claim_slot()
            if self.slot is None:
                message = _("Too many open connections to this Space from your network.")
                await self._refuse("too_many_connections", message, CLOSE_RATE_LIMITED)
                return
        # Join the group before reading the snapshot: an event committed in between then
        # reaches the page, which drops it if the snapshot already holds it (its seq).
        await self.group_join(self.space.group_name)
        self.in_group = True
        await self._seat_and_snapshot()

    async def _seat_and_snapshot(self, *, rejoin: bool = False) -> None:
        """Take (or take back) this socket's seat and send the snapshot; refuse with a close."""
        try:
            self.participant, snapshot = await database_sync_to_async(self._join)()
        except NotAllowed as exc:
            await self._refuse(exc.code, exc.message, CLOSE_FORBIDDEN)
            return
        except SpaceError as exc:
            if rejoin and self.space.is_over:
                # The seat went with the end of the Space, whose `space.ended` is on its way:
                # close as that event would, with no error to show.
                await self.close(code=CLOSE_ENDED)
                return
            await self._refuse(error_code(exc), error_message(exc), CLOSE_ENDED)
            return
        if self.participant is None:
            self.waiting = True
            await self.send_json({"type": "space.waiting", "state": Space.State.SCHEDULED})
            return
        self.waiting = False
        media_config = {"ice_servers": ice_servers(identity=f"p{self.participant.pk}")}
        await self.send_json({"type": "snapshot", **snapshot, "media": media_config})
        coalescer.audience_changed(self.space.pk)

    async def disconnect(self, code):
        """Stop receiving the room; presence lapses after 30 s without a heartbeat."""
        if self.in_group:
            await self.group_leave(self.space.group_name)
            await self.media_hang_up()
        if self.slot:
            await self._cache(slot_release, self.slot, holder=self.holder)
        if self.cookieless and self.participant is not None:
            # Nobody can come back to a cookie-less seat: let it go now, not in 30 s.
            await self._call(services.space_leave, participant=self.participant)
            coalescer.audience_changed(self.space.pk)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Check a frame's size, shape and rate, then run its action."""
        if self.participant is None and not self.waiting:
            return  # refused on connect, closing
        frame, kind, problem = _parse(text_data, bytes_data)
        handler, bucket = ACTIONS.get(kind, (None, "general"))
        buckets = ("general",) if bucket == "general" else ("general", bucket)
        if not await self.allowed(*buckets):
            await self._rate_limited(kind)
            return
        if problem:
            await self._error(*problem)
            return
        if self.waiting and kind != "ping":
            await self._error("space_not_live", _("This Space has not started yet."), kind)
            return
        try:
            reply = await handler(self, frame)
        except (SpaceError, NotAllowed, ValidationError) as exc:
            await self._error(error_code(exc), error_message(exc), kind)
        else:
            if reply is not None:
                await self.send_json(reply)

    async def space_event(self, event):
        """Forward a room event; a removed person's socket closes after hearing it."""
        data = event["data"]
        if "stage" in data and self.participant is not None:
            self._follow_stage(data["stage"])
            if self.media.publishing and not self.participant.on_stage:
                # Off the stage: the media server cuts the microphone too, but should that
                # command be lost, this socket's own session must not outlive the role.
                await self.media_hang_up()
        # `at`: when it happened, on the server's clock (stamped with the event, rooms.events),
        # so that a page listening over HLS (a few seconds behind) shows it when its audio
        # gets there; the time of receipt only for an event sent without one.
        at = event.get("at") or _now()
        await self.send_json({"type": event["event"], "seq": event["seq"], "at": at, **data})
        if event["event"] == "participant.removed" and data["participant_id"] == getattr(
            self.participant, "pk", None
        ):
            await self.close(code=CLOSE_FORBIDDEN)
        elif event["event"] == "space.ended":
            await self.close(code=CLOSE_ENDED)
        elif self.waiting and event["event"] in WAIT_OVER:
            # The page reloads into the room, or the page that says it will not happen.
            await self.close(code=WAIT_OVER[event["event"]])

    async def media_speaking(self, event):
        """Who is talking right now, from the media server's level meters."""
        at = event.get("at") or _now()
        await self.send_json({"type": "speaking", "speaking": event["speaking"], "at": at})

    # Live audio --------------------------------------------------------------------------

    def media_connect(self, sdp: str, access: dict, offer_id) -> None:
        """Hand an authorised offer to the media server; the answer or error comes back as a
        frame with the offer's id."""
        publish = access["publish"]

        async def answered(answer: str) -> None:
            frame = {"type": "media.answer", "sdp": answer, "publish": publish, "id": offer_id}
            await self.send_json(frame)

        async def failed(exc: MediaError) -> None:
            if exc.code == "listeners_full" and not publish:
                await self._media_hls(exc.reason, offer_id)
                return
            await self._media_error(exc.code, exc.message, offer_id)

        self.media.offer(
            participant_id=self.participant.pk,
            sdp=sdp,
            publish=publish,
            muted=access["muted"],
            answered=answered,
            failed=failed,
            confirm=self._media_still_on_stage if publish else None,
        )

    async def _media_still_on_stage(self) -> None:
        """A moderator may have moved this speaker off the stage while the media server
        answered, and the cut-off may have overtaken the offer: check again."""
        try:
            await self._call(services.media_access, participant=self.participant, publish=True)
        except (SpaceError, NotAllowed) as exc:
            await self.media_hang_up()
            raise MediaError(error_message(exc), error_code(exc)) from None

    async def _media_error(self, code, message, offer_id) -> None:
        frame = {"type": "error", "code": code, "message": message, "for": "media.offer"}
        await self.send_json({**frame, "id": offer_id})

    async def _media_hls(self, reason: str, offer_id) -> None:
        """No WebRTC seat for this listener (the Space's cap, or a saturated media server):
        the page listens to the live HLS stream instead, and says why."""
        url = reverse("rooms:live_hls", args=[self.space.code, "live.m3u8"])
        reason = reason if reason in HLS_REASONS else "cap"
        await self.send_json({"type": "media.hls", "url": url, "reason": reason, "id": offer_id})

    async def media_hang_up(self) -> None:
        """Close this socket's session at the media server (the page hung up or went)."""
        if self.media is not None:
            await self.media.hang_up()

    # Helpers -------------------------------------------------------------------------

    def _follow_stage(self, stage):
        """Keep this socket's copy of its seat's role current, for reactions over avatars
        (services re-read the seat from the database for everything else)."""
        seat = next((p for p in stage if p["id"] == self.participant.pk), None)
        if seat is not None:
            self.participant.role = seat["role"]
        elif self.participant.on_stage and self.participant.role != "host":
            self.participant.role = "listener"

    def _join(self):
        """A seat and the snapshot; no seat (None, None) while the Space is scheduled."""
        space = self.space
        space.refresh_from_db()
        if space.state == Space.State.SCHEDULED:
            return None, None
        participant = services.space_join(space=space, user=self.user, anon_id=self.anon_id)
        return participant, selectors.space_snapshot(space, participant)

    async def _identify(self) -> None:
        """Who this socket is for seats and rate limits: a signed-in person by account, a
        browser by the random id in its signed session. A socket without a session cookie
        gets an identity of its own that nothing stores: saving a session for it would
        leave a session row behind per connect, for a cookie the client never receives."""
        if self._signed_in:
            self.limit_keys = self.person_keys(user=self.user)
            return
        session = self.scope.get("session")
        has_session = session is not None and await database_sync_to_async(_load)(session)
        if has_session:
            self.anon_id = anon_id(session)
            if session.modified:
                await database_sync_to_async(session.save)()
            self.limit_keys = self.person_keys(anon_id=self.anon_id)
        else:
            self.cookieless = True
            self.anon_id = secrets.token_hex(16)
            self.limit_keys = self.person_keys()

    async def _claim_slot(self) -> str | None:
        """A place among the anonymous sockets an address may hold open in this Space."""
        key = f"ws:anon:{self.space.pk}:{self.client_address()}"
        slots = settings.WS_ANON_SOCKETS_PER_ADDRESS
        return await self._cache(slot_claim, key=key, slots=slots, ttl=SLOT_TTL, holder=self.holder)

    async def heartbeat(self) -> None:
        """Keep this socket's place in its address's allowance."""
        if self.slot:
            await self._cache(slot_refresh, self.slot, ttl=SLOT_TTL, holder=self.holder)

    @staticmethod
    def _cache(function, *args, **kwargs):
        # Cache calls need no database thread: run them beside it, not queued behind it.
        return sync_to_async(function, thread_sensitive=False)(*args, **kwargs)

    @property
    def _signed_in(self) -> bool:
        return self.user is not None and self.user.is_authenticated

    async def _refuse(self, code, message, close_code):
        await self.send_json({"type": "error", "code": code, "message": message})
        await self.close(code=close_code)

    async def _error(self, code, message, frame_type=None):
        body = {"type": "error", "code": code, "message": message}
        if frame_type:
            body["for"] = frame_type
        await self.send_json(body)

    async def _rate_limited(self, kind):
        self.strikes += 1
        await self._error("rate_limited", _("Slow down: too many frames."), kind)
        if self.strikes >= MAX_STRIKES:
            await self.close(code=CLOSE_RATE_LIMITED)

    @property
    def user(self):
        return self.scope.get("user")

    def _call(self, service, **kwargs):
        return database_sync_to_async(service)(**kwargs)

    async def _moderate(self, service, frame, **extra):
        await self._call(
            service,
            space=self.space,
            actor=self.user,
            participant_id=frame.get("participant"),
            **extra,
        )


@action("ping")
async def _ping(consumer, frame):
    if consumer.waiting:
        await consumer.heartbeat()
        return {"type": "pong"}
    seen = await consumer._call(services.participant_seen, participant=consumer.participant)
    if seen is False:
        # The seat was let go while this page was silent (a throttled background tab, a
        # laptop waking up): take it back and resync the page, as on connect.
        await consumer._seat_and_snapshot(rejoin=True)
        if consumer.closed:
            return None
    await consumer.heartbeat()
    return {"type": "pong"}


@action("media.ice", bucket="media")
async def _media_ice(consumer, frame):
    """Fresh ICE servers for the next offer: TURN credentials lapse after TURN_TTL."""
    return {
        "type": "media.ice",
        "id": _frame_id(frame),
        "ice_servers": ice_servers(identity=f"p{consumer.participant.pk}"),
    }


@action("react", bucket="reaction")
async def _react(consumer, frame):
    emoji = frame.get("emoji")
    services.reaction_check(participant=consumer.participant, emoji=emoji)
    coalescer.add(
        space_id=consumer.space.pk,
        emoji=emoji,
        participant_id=consumer.participant.pk,
        on_stage=consumer.participant.on_stage,
    )


# Frames about one's own seat: the service, how the frame becomes its arguments, the bucket.
SELF_ACTIONS = {
    "hand.raise": (services.hand_raise, lambda frame: {}, "hand"),
    "hand.lower": (services.hand_lower, lambda frame: {}, "general"),
    "invite.accept": (services.invite_answer, lambda frame: {"accept": True}, "general"),
    "invite.decline": (services.invite_answer, lambda frame: {"accept": False}, "general"),
    "mute.set": (services.self_mute_set, lambda f: {"muted": bool(f.get("muted"))}, "general"),
    "stage.leave": (services.stage_leave, lambda frame: {}, "general"),
    "listed.set": (services.listed_set, lambda f: {"listed": bool(f.get("listed"))}, "general"),
}


def _self_action(service, arguments):
    async def handler(consumer, frame):
        consumer.participant = await consumer._call(
            service, participant=consumer.participant, **arguments(frame)
        )

    return handler


for _name, (_service, _arguments, _bucket) in SELF_ACTIONS.items():
    action(_name, bucket=_bucket)(_self_action(_service, _arguments))


@action("leave")
async def _leave(consumer, frame):
    await consumer._call(services.space_leave, participant=consumer.participant)
    coalescer.audience_changed(consumer.space.pk)
    await consumer.close(code=1000)


# Moderation frames that name a participant and carry nothing else.
MODERATION = {
    "request.approve": services.request_approve,
    "request.decline": services.request_decline,
    "speaker.invite": services.speaker_invite,
    "speaker.demote": services.speaker_demote,
    "speaker.mute": services.speaker_mute,
    "cohost.add": services.cohost_add,
    "cohost.remove": services.cohost_remove,
}


def _moderation(service):
    async def handler(consumer, frame):
        await consumer._moderate(service, frame)

    return handler


for _name, _service in MODERATION.items():
    action(_name)(_moderation(_service))


@action("participant.remove")
async def _remove(consumer, frame):
    await consumer._moderate(services.participant_remove, frame, ban=bool(frame.get("ban")))


@action("policy.set")
async def _policy_set(consumer, frame):
    await consumer._call(
        services.speak_policy_set,
        space=consumer.space,
        actor=consumer.user,
        policy=frame.get("policy"),
    )


@action("pin.add")
async def _pin_add(consumer, frame):
    await consumer._call(
        services.pin_add, space=consumer.space, actor=consumer.user, tweet_id=frame.get("tweet")
    )


@action("pin.remove")
async def _pin_remove(consumer, frame):
    await consumer._call(
        services.pin_remove, space=consumer.space, actor=consumer.user, tweet_id=frame.get("tweet")
    )


@action("media.offer", bucket="media")
async def _media_offer(consumer, frame):
    sdp = frame.get("sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0"):
        raise SpaceError(_("This offer is not a valid session description."), code="bad_sdp")
    offer_id = _frame_id(frame)
    access = await consumer._call(
        services.media_access, participant=consumer.participant, publish=bool(frame.get("publish"))
    )
    consumer.media_connect(sdp, access, offer_id)


@action("media.stop")
async def _media_stop(consumer, frame):
    await consumer.media_hang_up()


@action("space.end")
async def _space_end(consumer, frame):
    await consumer._call(services.space_end, space=consumer.space, actor=consumer.user)


def _now() -> float:
    """Server epoch seconds, to the millisecond."""
    return round(time.time(), 3)


def _frame_id(frame) -> int | None:
    """The page's id for a request, echoed on the answer so that it can match the two."""
    value = frame.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _load(session) -> bool:
    """Whether the socket came with a live session (loading it finds out)."""
    session.get("anon_id")
    return session.session_key is not None


def _parse(text_data, bytes_data):
    """(frame, type, problem): problem is an error frame's (code, message, for) or None."""
    too_big = ("bad_frame", _("Frames are JSON text of at most 4 KB."), None)
    if bytes_data is not None or not text_data or len(text_data) > MAX_SIGNALLING_BYTES:
        return None, None, too_big
    try:
        frame = json.loads(text_data)
    except (ValueError, RecursionError):
        # RecursionError: JSON nested deeper than the decoder goes (a few KB of brackets).
        return None, None, ("bad_json", _("This frame is not valid JSON."), None)
    kind = frame.get("type") if isinstance(frame, dict) else None
    kind = kind if isinstance(kind, str) else None
    if len(text_data) > MAX_FRAME_BYTES and kind not in SIGNALLING_FRAMES:
        return None, kind, (*too_big[:2], kind)
    if kind not in ACTIONS:
        return None, kind, ("unknown_type", _("Unknown frame type."), kind)
    return frame, kind, None
