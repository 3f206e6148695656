"""What rooms do about other apps' signals, so that those apps need not know about rooms."""

from channels.layers import get_channel_layer
from django.dispatch import receiver

from mediaserver import signals as media_signals
from rooms.events import stamp
from rooms.models import Space


@receiver(media_signals.speaking)
async def speaking_announce(sender, *, space_id: int, speaking: list[int], **kwargs) -> None:
    """Tell the Space's pages who is talking; the consumer forwards it as a `speaking` frame
    (`at`: when the media server heard it, for pages listening over HLS)."""
    await get_channel_layer().group_send(
        Space(pk=space_id).group_name,
        {"type": "media.speaking", "speaking": speaking, "at": stamp()},
    )
