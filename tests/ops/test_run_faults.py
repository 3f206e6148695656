"""`make run` survives faults: each child killed in turn comes back by itself.

Runs scripts/run.py for real, on free ports, embedded defaults (SQLite, its own Valkey)
and a temporary SPACES_VAR_DIR, whatever DATABASE_URL / REDIS_URL the tests run with.
"""

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
CHILDREN = ["valkey", "daphne", "media", "captions", "worker", "beat"]
# What the person must not have to set: the test gives run.py a clean environment.
UNSET = (
    "DATABASE_URL",
    "REDIS_URL",
    "SITE_URL",
    "PORT",
    "VALKEY_PORT",
    "CAPTIONS_FEED_ADDRESS",
    "DJANGO_DEBUG",
)


def _load_run():
    spec = importlib.util.spec_from_file_location("spaces_run", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthz(port: int) -> tuple[int | None, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return None, {}


def _until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout:.0f} s")


def _sessions_alive(sessions: set[int]) -> list[str]:
    """Processes still in these sessions (run.py's and supervisord's): orphans, if any."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) in parentheses.
        fields = text.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) in sessions:
            left.append(text[:120])
    return left


def _manage_shell(env: dict, code: str) -> str:
    """Run Python in a `manage.py shell` against make run's database and Valkey."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


SPEAK_POLICY = (
    "from rooms.models import Space; from rooms import services; "
    "space = Space.objects.get(code={code!r}); "
    "services.speak_policy_set(space=space, actor=space.host, policy={policy!r})"
)


def _room_event(socket, event: str, timeout: float, seen: list) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            frame = json.loads(socket.recv(timeout=1))
        except TimeoutError:
            continue
        seen.append(frame)
        if frame.get("type") == event:
            return frame
    return None


class Output:
    """run.py's output, read as it comes (a pipe: a full one would block the children)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def tail(self, count: int = 40) -> str:
        return "\n".join(self.lines[-count:])


@pytest.mark.skipif(not Path("/proc").exists(), reason="counts processes through /proc")
def test_make_run_brings_back_each_child_it_loses_and_leaves_none_behind(tmp_path):
    run = _load_run()
    port, valkey_port = _free_port(), _free_port()
    var = tmp_path / "var"
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(PORT=str(port), VALKEY_PORT=str(valkey_port), SPACES_VAR_DIR=str(var))
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process.stdout)
    sessions = {process.pid}
    sockets = contextlib.ExitStack()
    try:
        _until(lambda: output.has("Press Ctrl-C to stop everything."), 150, "make run served")
        # The URL and the sign-ins come last, once everything answers.
        banner = next(i for i, line in enumerate(output.lines) if "Spaces is running at" in line)
        assert output.lines[banner] == f"Spaces is running at http://localhost:{port}/"
        assert output.lines[banner + 1 :] == [
            "Demo sign-ins (email / password):",
            *(f"  {h}@example.com / spaces-demo-2026" for h in ("ada", "grace", "linus", "marta")),
            "  acme@example.com / spaces-demo-2026",
            "Press Ctrl-C to stop everything.",
        ], output.tail()
        status, body = _healthz(port)
        assert status == 200, body

        rpc = run.supervisor_rpc(var / "supervisord.conf")
        sessions.add(rpc.getPID())
        pids = {info["name"]: info["pid"] for info in rpc.getAllProcessInfo()}
        assert sorted(pids) == sorted(CHILDREN)
        # Something for the append-only file to keep across Valkey's restart.
        store = redis.Redis(port=valkey_port, socket_timeout=5)
        store.set("spaces:fault-test", "kept")
        # A live Space with a listener's socket open across Valkey's restart.
        shell_env = {
            **env,
            "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
            "REDIS_URL": f"redis://127.0.0.1:{valkey_port}/0",
        }
        code = _manage_shell(
            shell_env,
            "from accounts.models import User; from rooms import services; "
            "print(services.space_create(host=User.objects.get(handle='ada'), "
            "title='Fault test').code)",
        )
        listener = sockets.enter_context(
            connect(f"ws://127.0.0.1:{port}/ws/spaces/{code}/", origin=f"http://localhost:{port}")
        )
        time.sleep(1.5)  # appendfsync everysec

        for name in CHILDREN:
            os.kill(pids[name], signal.SIGKILL)

            def back(name=name):
                info = rpc.getProcessInfo(name)
                if info["statename"] != "RUNNING" or info["pid"] == pids[name]:
                    return None
                return info["pid"] if _healthz(port)[0] == 200 else None

            new_pid = _until(back, 45, f"{name} was not back, with the site healthy,")
            others = {n: info["pid"] for n in CHILDREN if (info := rpc.getProcessInfo(n))}
            assert {n: p for n, p in others.items() if n != name} == {
                n: p for n, p in pids.items() if n != name
            }, f"killing {name} restarted others:\n{output.tail(80)}"
            pids[name] = new_pid
            _until(
                lambda name=name, pid=new_pid: output.has(f"· {name} is running again (pid {pid})"),
                5,
                f"run.py did not say {name} is back",
            )
            if name == "valkey":
                assert store.get("spaces:fault-test") == b"kept"
                body = _healthz(port)[1]
                assert body["checks"]["redis"] == "ok"
                assert body["checks"]["channel_layer"] == "ok"
                # The socket opened before the restart still gets the room's events.
                _manage_shell(shell_env, SPEAK_POLICY.format(code=code, policy="followed"))
                seen = []
                changed = _room_event(listener, "space.policy_changed", 15, seen)
                assert changed, f"the open socket got no event after Valkey's restart: {seen}"
                assert changed["speak_policy"] == "followed"
                sockets.close()
        # One line per death from supervisord, not a stack of them.
        assert sum("not expected" in line for line in output.lines) == len(CHILDREN)

        # supervisord itself: run.py stops what it left and starts it again.
        old = rpc.getPID()
        os.kill(old, signal.SIGKILL)
        _until(lambda: output.has("· supervisord is running again"), 45, "supervisord not back")
        rpc = run.supervisor_rpc(var / "supervisord.conf")
        sessions.add(rpc.getPID())
        assert rpc.getPID() != old
        _until(
            lambda: (
                all(i["statename"] == "RUNNING" for i in rpc.getAllProcessInfo())
                and _healthz(port)[0] == 200
            ),
            60,
            "the site was not back after supervisord's restart",
        )
        # Nothing the old one started is left running beside the new ones.
        assert not _sessions_alive({old}), output.tail(60)
    finally:
        sockets.close()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert process.returncode == 0, output.tail()
    assert output.lines[-1] == "Stopped."
    _until(lambda: not _sessions_alive(sessions), 10, "children were left behind")
    assert time.monotonic() - started < 240
