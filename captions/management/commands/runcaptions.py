"""`manage.py runcaptions`: the captions worker, an asyncio process of its own."""

import asyncio
import logging
import signal

from django.core.management.base import BaseCommand

from captions import engine
from captions.worker import CaptionsWorker

logger = logging.getLogger("captions")


class Command(BaseCommand):
    help = "Run the captions worker: recognises each live Space's speakers, one by one."

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s captions %(message)s")
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
