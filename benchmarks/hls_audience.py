"""The mixed audience: WebRTC for the first listeners, HLS for the rest, on one machine.

Inside a network namespace with only loopback (scripts/in-netns), as
benchmarks/media_fanout.py: a bundled Valkey server, `manage.py runmedia`, and the
Spaces site as in production (benchmarks/hls_serving.py: DJANGO_DEBUG=false, a
recording the real egress wrote). VIA is how HLS is served (hls_serving's targets):
`xcache` (deploy/nginx/spaces-hls*.conf: X-Accel-Redirect and the anonymous micro-cache),
`xaccel` (the same without the cache), `daphne` alone, or `nginx` (static files).
For each N in HLS: one speaker and WEBRTC receive-only aiortc listeners
(benchmarks/media_clients.py, 100 per process; WEBRTC_LISTENER_CAP of them by default)
connect; then N HLS listeners (one asyncio aiohttp process) ask for the playlist and
their next segment every 2 s; after one round, a WINDOW-second window counts both.

Reported per N: the WebRTC listeners' packets (received of 50/s, loss), the HLS
listeners' rounds done on time (within the 2 s cadence) and p99 latencies, the CPU of
the media server, Daphne and nginx, and the whole machine's. The audience is held when
the WebRTC listeners get at least 95 % of the room's 50 packets a second with under 1 %
loss, 99 % of HLS rounds are on time and the segments' p99 is under HOLD_P99 seconds.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import hls_serving as serving
from benchmarks import media_fanout

ROOT = Path(__file__).resolve().parent.parent
HLS = [int(n) for n in os.environ.get("BENCH_AUDIENCE_HLS", "500,1000").split(",")]
WINDOW = float(os.environ.get("BENCH_AUDIENCE_WINDOW", "15"))
VIA = os.environ.get("BENCH_AUDIENCE_VIA", "xcache")
RECORDING_SECONDS = float(os.environ.get("BENCH_AUDIENCE_RECORDING", "60"))
HOLD_P99 = 1.0
PER_CLIENT = media_fanout.PER_CLIENT


def _webrtc_listeners() -> int:
    if os.environ.get("BENCH_AUDIENCE_WEBRTC"):
        return int(os.environ["BENCH_AUDIENCE_WEBRTC"])
    from django.conf import settings

    return getattr(settings, "WEBRTC_LISTENER_CAP", 200)


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


async def _step(hls: int, webrtc: int, env, base, recorded, playlist, segments, pids) -> str:
    clients = (
        await asyncio.to_thread(media_fanout.start_clients, webrtc, env, window=WINDOW)
        if webrtc
        else []
    )
    try:
        loop = asyncio.get_running_loop()
        listening = asyncio.create_task(
            serving.listen(base, playlist, segments, hls, WINDOW) if hls else asyncio.sleep(0)
        )
        await asyncio.sleep(serving.CADENCE)  # the HLS listeners' first round: not counted
        cpu0 = {name: serving.cpu_seconds(p()) for name, p in pids.items()}
        busy0, wall0, client0 = _machine_busy(), loop.time(), time.process_time()
        for client in clients:
            client.stdin.write("GO\n")
            client.stdin.flush()
        results = []
        for client in clients:
            line = (await asyncio.to_thread(client.stdout.readline)).strip()
            if not line.startswith("DONE "):
                raise RuntimeError(f"the WebRTC listeners stopped early: {line}")
            results.append(json.loads(line[5:]))
        load = await listening if hls else serving.Load()
        if not clients:
            await asyncio.sleep(max(0.0, wall0 + WINDOW - loop.time()))
        cpu1 = {name: serving.cpu_seconds(p()) for name, p in pids.items()}
        busy1, wall1, client1 = _machine_busy(), loop.time(), time.process_time()
        for client in clients:
            await asyncio.to_thread(client.wait, 60)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
    wall = wall1 - wall0
    cpu = {name: (cpu1[name] - cpu0[name]) / wall for name in pids}
    machine = (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1) * (os.cpu_count() or 1)
    received = sum(r["received"] for r in results)
    lost = sum(r["lost"] for r in results)
    loss = lost / max(received + lost, 1)
    expected = sum(r["client_wall"] for r in results) / max(len(results), 1) * webrtc * 50
    share = received / max(expected, 1)
    busiest = max((r["client_cpu"] / r["client_wall"] for r in results), default=0.0)
    on_time = 1 - load.late / max(load.expected, 1) if hls else 1.0
    p99 = serving.percentile(load.segment, 0.99) if hls else 0.0
    heard_all = (loss < 0.01 and share >= 0.95) if webrtc else True
    held = heard_all and on_time >= 0.99 and p99 < HOLD_P99 and not load.failed
    cpus = ", ".join(f"{name} {value:.0%}" for name, value in cpu.items())
    heard = f"WebRTC received {share:.1%} of 50 packets/s, loss {loss:.2%};  " if webrtc else ""
    return (
        f"WebRTC {webrtc:>3} + HLS {hls:>4}: {'HELD' if held else 'not held'}  {heard}"
        f"HLS rounds on time {on_time:.1%}, segment p50 "
        f"{serving.percentile(load.segment, 0.5) * 1000:.0f} ms p99 {p99 * 1000:.0f} ms, "
        f"playlist p99 {serving.percentile(load.playlist, 0.99) * 1000:.0f} ms"
        f"{f', {load.failed} failed' if load.failed else ''};  "
        f"CPU (of a core): {cpus}, HLS client {(client1 - client0) / wall:.0%}, busiest "
        f"WebRTC client {busiest:.0%}, machine {machine:.0%} of {os.cpu_count()} cores"
    )


def _in_namespace() -> list[str]:
    if VIA != "daphne" and not serving.has_nginx():
        return [f"skipped: no nginx at {serving.NGINX} (set NGINX, or BENCH_AUDIENCE_VIA=daphne)"]
    webrtc = _webrtc_listeners()
    lines = [
        f"{webrtc} WebRTC listeners (aiortc, {PER_CLIENT} per process) + N HLS listeners "
        f"(1 playlist + 1 segment every {serving.CADENCE:.0f} s, one aiohttp process) via "
        f"{VIA}; {WINDOW:.0f} s window; load average {os.getloadavg()[0]:.1f} at the start"
    ]
    with tempfile.TemporaryDirectory() as folder, serving.valkey({}) as redis_url:
        env = serving.site_env(folder, redis_url, MEDIA_ANSWER_TIMEOUT="30")
        if VIA in ("xaccel", "xcache"):
            env["RECORDINGS_X_ACCEL_PREFIX"] = serving.X_ACCEL_PREFIX
        recorded = serving.prepare(env, RECORDING_SECONDS)
        playlist = recorded.path(serving.PLAYLIST)
        segments = [recorded.path(name) for name in recorded.segments]
        if VIA == "nginx":
            playlist = f"/hls/{recorded.space_id}/{serving.PLAYLIST}"
            segments = [f"/hls/{recorded.space_id}/{name}" for name in recorded.segments]
        processes = {}
        try:
            processes["media server"] = subprocess.Popen(
                [sys.executable, "manage.py", "runmedia"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            daphne_port = port = serving.free_port()
            processes["Daphne"] = serving.start_daphne(env, daphne_port)
            if VIA != "daphne":
                port = serving.free_port()
                behind = None if VIA == "nginx" else daphne_port
                processes["nginx"] = serving.start_nginx(
                    folder, port, env["EGRESS_ROOT"], behind, cache=VIA == "xcache"
                )
            time.sleep(1)
            pids = {
                name: (lambda p=p: serving.process_tree(p.pid)) for name, p in processes.items()
            }
            base = f"http://127.0.0.1:{port}"
            asyncio.run(serving.ready(base, [playlist, *segments]))
            for hls in HLS:
                lines.append(
                    asyncio.run(_step(hls, webrtc, env, base, recorded, playlist, segments, pids))
                )
        finally:
            for process in reversed(processes.values()):
                serving.stop(process)
    return lines


def run() -> list[str]:
    if os.environ.get("SPACES_NETNS") == "1":
        return _in_namespace()
    done = subprocess.run(
        [str(ROOT / "scripts" / "in-netns"), sys.executable, "-m", "benchmarks.hls_audience"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        error = done.stderr.strip()
        return [f"failed: {error[error.rfind('Traceback') :][-3000:] or error[-2000:]}"]
    return done.stdout.strip().splitlines()


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
    django.setup()
    for line in run():
        print(line)
