"""`manage.py runcaptions`: the captions worker, an asyncio process of its own."""

import asyncio
import logging
import os
import signal

from django.core.management.base import BaseCommand

from captions import engine
from captions.worker import CaptionsWorker

logger = logging.getLogger("captions")
NICENESS = 10


class Command(BaseCommand):
    help = "Run the captions worker: recognises each live Space's speakers, one by one."

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s captions %(message)s")
        # Recognition is a batch job next to the media server's 20 ms clock: yield the
        # CPU to it (docs/captions.md, "Pipeline"). Captions fall behind, not the audio.
        try:
            os.nice(NICENESS)
        except OSError as exc:
            logger.warning("Could not lower the captions worker's priority: %s", exc)
        asyncio.run(self.main())

    async def main(self):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        worker = CaptionsWorker()
        host, port = await worker.start()
        # Load the English model now, so that the first phrase does not wait for it.
        warming = loop.run_in_executor(worker.pool, self.warm)
        self.stdout.write(f"Captions worker listening on {host}:{port}.")
        await worker.run(stop)
        warming.cancel()

    @staticmethod
    def warm():
        try:
            engine.warm("en")
        except Exception:
            logger.exception("Could not load the English captions model")
