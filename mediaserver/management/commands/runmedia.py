"""`manage.py runmedia`: the embedded media server, an asyncio process of its own."""

import asyncio
import contextlib
import logging
import signal

from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand

from mediaserver import signals
from mediaserver.embedded.backend import serve

logger = logging.getLogger("mediaserver")


class Command(BaseCommand):
    help = "Run the embedded aiortc media server: mixes each live Space's speakers."

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s media %(message)s")
        asyncio.run(self.main())

    async def main(self):
        # aiortc is only needed here: Django's other processes load this app without it.
        from mediaserver.embedded.server import MediaServer  # noqa: PLC0415 (see above)

        layer = get_channel_layer()

        async def on_speaking(space_id: int, speaking: list[int]) -> None:
            try:
                # Rooms tell the Space's pages (rooms.receivers).
                await signals.speaking.asend(
                    sender=MediaServer, space_id=space_id, speaking=speaking
                )
            except Exception:
                logger.exception("Could not announce who speaks in Space %s", space_id)

        server = MediaServer(on_speaking=on_speaking)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        control = asyncio.create_task(serve(server, layer=layer))
        self.stdout.write("Media server ready.")
        await stop.wait()
        control.cancel()
        # Let the layer unsubscribe from the channel before the loop goes away.
        with contextlib.suppress(asyncio.CancelledError):
            await control
        await server.close()
