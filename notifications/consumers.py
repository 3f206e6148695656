"""ws/me/: one socket per open page of a signed-in person, for personal events."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from core.consumers import FanOutEventsMixin, SocketMixin

CLOSE_UNAUTHENTICATED = 4401
CLOSE_RATE_LIMITED = 4429
MAX_FRAME_BYTES = 4096
MAX_STRIKES = 10


class MeConsumer(SocketMixin, FanOutEventsMixin, AsyncJsonWebsocketConsumer):
    fan_out_events = frozenset({"notification.new", "livebar.changed"})
    # Per person, across their sockets and reconnects, as (frames, seconds); every frame
    # counts, refused ones too.
    rate_limits = {"connect": (30, 60), "frame": (20, 10)}
    strikes = 0

    async def connect(self):
        """Accept signed-in people only and join their personal group."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first so that the client can read why it was turned away.
            await self.accept()
            await self.send_json(
                {"type": "error", "code": "auth_required", "message": _("Sign in first.")}
            )
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.limit_keys = self.person_keys(user=user)
        if not await self.allowed("connect"):
            await self.accept()
            await self._rate_limited(_("Too many connections: wait a minute and reload the page."))
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        self.group_name = user.group_name
        await self.group_join(self.group_name)
        await self.accept()

    async def disconnect(self, code):
        """Leave the personal group."""
        if getattr(self, "group_name", None):
            await self.group_leave(self.group_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Answer pings; refuse anything else with an error frame."""
        if not await self.allowed("frame"):
            self.strikes += 1
            await self._rate_limited(_("Slow down: too many frames."))
            if self.strikes >= MAX_STRIKES:
                await self.close(code=CLOSE_RATE_LIMITED)
            return
        if bytes_data is not None or text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self._error("bad_frame", _("Frames are JSON text of at most 4 KB."))
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            # RecursionError: JSON nested deeper than the decoder goes (a few KB of brackets).
            await self._error("bad_json", _("This frame is not valid JSON."))
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._error("unknown_type", _("Unknown frame type."))

    async def _error(self, code, message):
        # One shape on every socket: {"type": "error", "code", "message"}.
        await self.send_json({"type": "error", "code": code, "message": message})

    async def _rate_limited(self, message):
        await self._error("rate_limited", message)

    async def notification_new(self, event):
        """Forward a notification to the page."""
        await self.send_json(
            {
                "type": "notification",
                "kind": event["kind"],
                "text": event["text"],
                "url": event["url"],
                "data": event["data"],
            }
        )

    async def livebar_changed(self, event):
        """Tell the page to refresh its live bar: a Space of someone the person follows
        changed (rooms.services worked out who, so every frame here is for this person)."""
        await self.send_json({"type": "livebar.changed", "space": event["space"]})
