"""Benchmarks that run in a loopback-only network namespace (scripts/in-netns), as the
WebRTC tests do: `make bench` runs them from outside, they re-run themselves inside."""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def inside() -> bool:
    return os.environ.get("SPACES_NETNS") == "1"


def run_inside(module: str, *, timeout: float) -> list[str]:
    """Run `python -m <module>` in the namespace; return the lines it printed (and why it
    failed, if it did). The child stops its servers on SIGTERM."""
    command = [str(ROOT / "scripts" / "in-netns"), sys.executable, "-m", module]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        return [*out.splitlines(), f"failed: took over {timeout} s"]
    lines = out.splitlines()
    if process.returncode != 0:
        lines.append(f"failed: exit status {process.returncode} (its stderr is above)")
    return lines


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop servers


def main(run) -> None:
    """`python -m benchmarks.<name>` inside the namespace: set Django up, print the lines."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    django.setup()
    for line in run():
        print(line, flush=True)
